// The passphrase backend: scrypt + AES-256-GCM; a wrong passphrase or a tampered record is
// WrongPassphrase, and the sealed record never contains the key.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, PassphraseKeyStore } from '../../../core/vault/passphraseKeyStore';
import { newDatabaseKey, type SealedKey } from '../../../core/vault/keyStore';
import { kindOf } from '../../helpers/errors';
import { FAST_SCRYPT } from '../../helpers/store/tempProfile';

describe('passphrase key store', () => {
  it('wraps a key that only the same passphrase unwraps', async () => {
    const key = newDatabaseKey();
    const sealed = await new PassphraseKeyStore('right', { scrypt: FAST_SCRYPT }).seal('p', key);
    expect((await new PassphraseKeyStore('right').unseal(sealed)).equals(key)).toBe(true);
    expect(await kindOf(new PassphraseKeyStore('wrong').unseal(sealed))).toBe('WrongPassphrase');
  });

  it('never writes the key itself into the sealed record', async () => {
    const key = newDatabaseKey();
    const sealed = await new PassphraseKeyStore('pw', { scrypt: FAST_SCRYPT }).seal('p', key);
    const text = JSON.stringify(sealed);
    for (const encoding of ['hex', 'base64', 'base64url'] as const)
      expect(text).not.toContain(key.toString(encoding));
  });

  it('detects tampering with the KDF parameters, salt or ciphertext', async () => {
    const store = new PassphraseKeyStore('pw', { scrypt: FAST_SCRYPT });
    const sealed = (await store.seal('p', newDatabaseKey())) as Extract<SealedKey, { kind: 'passphrase' }>;
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    expect(await kindOf(store.unseal({ ...sealed, ciphertext: flip(sealed.ciphertext) }))).toBe(
      'WrongPassphrase',
    );
    expect(
      await kindOf(store.unseal({ ...sealed, kdf: { ...sealed.kdf, salt: flip(sealed.kdf.salt) } })),
    ).toBe('WrongPassphrase');
    expect(await kindOf(store.unseal({ ...sealed, kdf: { ...sealed.kdf, r: 9 } }))).toBe('WrongPassphrase');
  });

  it('refuses KDF parameters that are too weak to create or large enough to exhaust memory', async () => {
    expect(() => new PassphraseKeyStore('pw', { scrypt: { N: 2 ** 10, r: 8, p: 1 } })).toThrow();
    const sealed = (await new PassphraseKeyStore('pw', { scrypt: FAST_SCRYPT }).seal(
      'p',
      newDatabaseKey(),
    )) as Extract<SealedKey, { kind: 'passphrase' }>;
    expect(
      await kindOf(new PassphraseKeyStore('pw').unseal({ ...sealed, kdf: { ...sealed.kdf, N: 2 ** 24 } })),
    ).toBe('InvalidInput');
  });

  it('uses scrypt N=2^17, r=8, p=1 by default and records the parameters in the sealed key', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const sealed = await new PassphraseKeyStore('pw').seal('p', newDatabaseKey());
    expect(sealed).toMatchObject({
      kind: 'passphrase',
      cipher: 'aes-256-gcm',
      kdf: { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
    });
  });

  it('refuses an empty passphrase and a record sealed by another backend', async () => {
    expect(() => new PassphraseKeyStore('')).toThrow(/empty/);
    expect(
      await kindOf(new PassphraseKeyStore('pw').unseal({ kind: 'keychain', service: 's', account: 'a' })),
    ).toBe('InvalidInput');
  });
});
