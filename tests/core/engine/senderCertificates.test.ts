// Sender certificates checked against the pinned trust root, with real libsignal certificates:
// the signatures are verified once per distinct certificate, the expiry on every message, and a
// certificate from another trust root, a tampered one or an expired one is refused.
import { randomUUID } from 'node:crypto';
import { PrivateKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SenderCertificateChecker } from '../../../core/engine/signalCrypto';

const trustRoot = PrivateKey.generate();
const server = PrivateKey.generate();
const serverCert = ServerCertificate.new(1, server.getPublicKey(), trustRoot);

function certificate(expiration: number, signer = serverCert, signerKey = server): SenderCertificate {
  return SenderCertificate.new(
    randomUUID(),
    null,
    1,
    PrivateKey.generate().getPublicKey(),
    expiration,
    signer,
    signerKey,
  );
}

afterEach(() => vi.restoreAllMocks());

describe('sender certificate checks', () => {
  it('verifies the signatures of a certificate once, however many messages carry it', () => {
    const checker = new SenderCertificateChecker(trustRoot.getPublicKey());
    const now = Date.now();
    const cert = certificate(now + 60_000);
    const validate = vi.spyOn(SenderCertificate.prototype, 'validate');
    for (let i = 0; i < 5; i++) {
      // A fresh object from the same bytes each time, as each envelope carries its own copy.
      expect(checker.isValid(SenderCertificate.deserialize(cert.serialize()), now + i)).toBe(true);
    }
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it('refuses a certificate once it expires, even after it was verified', () => {
    const checker = new SenderCertificateChecker(trustRoot.getPublicKey());
    const now = Date.now();
    const cert = certificate(now + 1000);
    expect(checker.isValid(cert, now)).toBe(true);
    expect(checker.isValid(cert, now + 1000)).toBe(true);
    expect(checker.isValid(cert, now + 1001)).toBe(false);
    expect(new SenderCertificateChecker(trustRoot.getPublicKey()).isValid(cert, now + 1001)).toBe(false);
  });

  it('refuses a certificate chained to another trust root, and a tampered one', () => {
    const checker = new SenderCertificateChecker(trustRoot.getPublicKey());
    const now = Date.now();
    const otherRoot = PrivateKey.generate();
    const otherServer = PrivateKey.generate();
    const foreign = certificate(
      now + 60_000,
      ServerCertificate.new(1, otherServer.getPublicKey(), otherRoot),
      otherServer,
    );
    expect(checker.isValid(foreign, now)).toBe(false);
    // Refused again: a failed check is never remembered as a success.
    expect(checker.isValid(foreign, now)).toBe(false);

    const bytes = Buffer.from(certificate(now + 60_000).serialize());
    const at = bytes.length - 5; // inside the sender certificate's signature
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
    expect(checker.isValid(SenderCertificate.deserialize(new Uint8Array(bytes)), now)).toBe(false);
  });

  it('remembers a bounded number of certificates, and still checks the ones it forgot', () => {
    const checker = new SenderCertificateChecker(trustRoot.getPublicKey(), 2);
    const now = Date.now();
    const [a, b, c] = [certificate(now + 60_000), certificate(now + 60_000), certificate(now + 60_000)];
    const validate = vi.spyOn(SenderCertificate.prototype, 'validate');
    for (const cert of [a, b, c, a]) expect(checker.isValid(cert, now)).toBe(true);
    // a was evicted by c, so it was verified again.
    expect(validate).toHaveBeenCalledTimes(4);
  });
});
