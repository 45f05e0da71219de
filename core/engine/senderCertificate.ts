// Our sender certificate (sealed sender's "from"), fetched from the relay and reused until a
// minute before it expires. One that does not chain to the pinned trust root is never used.
import type { SenderCertificate } from '@signalapp/libsignal-client';
import { WispError } from '../../common/errors';
import type { OpResult } from '../../common/wire';
import { parseSenderCertificate, type SenderCertificateChecker } from './signalCrypto';

/** A certificate this close to expiry is renewed before use. */
const RENEW_MARGIN_MS = 60_000;

export class SenderCertificateCache {
  private current: { cert: SenderCertificate; expiresAt: number } | null = null;

  constructor(
    private readonly checker: SenderCertificateChecker,
    private readonly fetch: () => Promise<OpResult<'certificate.sender'>>,
    private readonly clock: () => number,
  ) {}

  async get(): Promise<SenderCertificate> {
    const now = this.clock();
    if (this.current && this.current.expiresAt - RENEW_MARGIN_MS > now) return this.current.cert;
    const result = await this.fetch();
    const cert = parseSenderCertificate(result.certificate);
    // Recipients check it against the trust root pinned at setup and drop what fails unseen, so
    // a certificate under another root (the relay's key was replaced) must not carry messages:
    // as a relay problem (transient) they stay in the outbox until it serves the pinned root again.
    if (!this.checker.isValid(cert, now))
      throw new WispError(
        'RelayUnavailable',
        "the relay's sender certificate does not chain to the trust root pinned for this relay",
        { recovery: 'messages stay queued; the relay operator must start it with a key from its trust root' },
      );
    this.current = { cert, expiresAt: result.expiresAt };
    return cert;
  }
}
