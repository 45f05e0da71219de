// Our prekeys at the relay: generated and stored locally before the upload (a prekey the relay
// hands out must always be known here), and topped up when the relay's count runs low.
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import type { RelayClient } from '../relayClient/relayClient';
import type { Store } from '../store';
import { generatePreKeys } from './signalCrypto';

const PREKEY_BATCH = 100;
const PREKEY_LOW_WATER = 20;
const NEXT_PREKEY_KEY = 'engine.nextPreKeyId';

export interface PreKeyDeps {
  readonly store: Store;
  readonly identityKeyPair: IdentityKeyPair;
  clock(): number;
  relayClient(): RelayClient;
}

export async function uploadPreKeys(d: PreKeyDeps, withSigned: boolean): Promise<void> {
  const first = d.store.settings.get<number>(NEXT_PREKEY_KEY) ?? 1;
  const generated = generatePreKeys(d.identityKeyPair.privateKey, first, PREKEY_BATCH, withSigned, d.clock());
  // Stored before the upload: a prekey the relay hands out must always be known here.
  d.store.transaction(() => {
    const now = d.clock();
    for (const r of generated.preKeys) d.store.signal.savePreKey(r.id(), r.serialize(), now);
    for (const r of generated.kyberPreKeys) d.store.signal.saveKyberPreKey(r.id(), r.serialize(), false, now);
    if (generated.signedPreKey) {
      d.store.signal.saveSignedPreKey(generated.signedPreKey.id(), generated.signedPreKey.serialize(), now);
    }
    if (generated.lastResortKyberPreKey) {
      d.store.signal.saveKyberPreKey(
        generated.lastResortKyberPreKey.id(),
        generated.lastResortKyberPreKey.serialize(),
        true,
        now,
      );
    }
    d.store.settings.set(NEXT_PREKEY_KEY, first + PREKEY_BATCH + (withSigned ? 2 : 0));
  });
  await d.relayClient().request('prekeys.upload', generated.upload);
}

export async function refillPreKeys(d: PreKeyDeps): Promise<void> {
  const count = await d.relayClient().request('prekeys.count', {});
  if (count.preKeys < PREKEY_LOW_WATER || count.kyberPreKeys < PREKEY_LOW_WATER || !count.hasSignedPreKey) {
    await uploadPreKeys(d, !count.hasSignedPreKey || !count.hasLastResortKyberPreKey);
  }
}
