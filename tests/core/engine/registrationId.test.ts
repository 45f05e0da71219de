// A registration id the engine makes must be one the store accepts: the store's CHECK allows
// 1..16380, and a generator that went up to 16382 failed account creation about once in 8,000.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REGISTRATION_ID, newRegistrationId } from '../../../core/engine/signalCrypto';
import { createProfile, type Profile } from '../../../core/profile';
import { testKeyStore } from '../../helpers/engine/fixtures';

let dir: string | null = null;
let profile: Profile | null = null;
afterEach(() => {
  profile?.close();
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  profile = null;
  dir = null;
});

describe('registration ids', () => {
  it('the store takes the highest id the generator can make, and refuses the next one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wisp-regid-'));
    profile = await createProfile(join(dir, 'p'), testKeyStore());
    const identity = (registrationId: number) => ({
      accountId: '00000000-0000-4000-8000-000000000001',
      deviceId: 1,
      username: 'reg',
      identityKeyPair: Buffer.alloc(65, 1),
      registrationId,
      relayUrl: 'ws://127.0.0.1:1',
      trustRoot: null,
    });
    expect(() => profile!.store.identity.create(identity(MAX_REGISTRATION_ID + 1))).toThrow();
    profile.store.identity.create(identity(MAX_REGISTRATION_ID));
    expect(profile.store.identity.get()?.registrationId).toBe(MAX_REGISTRATION_ID);
  });

  it('never makes an id outside 1..MAX_REGISTRATION_ID (200,000 draws)', () => {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < 200_000; i++) {
      const id = newRegistrationId();
      if (id < min) min = id;
      if (id > max) max = id;
    }
    expect(min).toBeGreaterThanOrEqual(1);
    expect(max).toBeLessThanOrEqual(MAX_REGISTRATION_ID);
    // The whole range is used: the top is reached in 200,000 draws with near certainty.
    expect(max).toBeGreaterThan(MAX_REGISTRATION_ID - 50);
  });
});
