// A profile restored from a backup on a "second machine" goes on talking: its ratchets are older
// than the peer's (the original kept messaging after the backup), the engine resets the broken
// session and both sides see it; and once the restored profile connects, the original device is
// disconnected by the relay and stops with AccountMoved (in-process and as a CLI exit code).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportBackup, importBackup } from '../../../core/backup';
import { parseIdentity } from '../../../core/backup/age';
import { Engine } from '../../../core/engine';
import { openProfile } from '../../../core/profile';
import { isWispError } from '../../../common/errors';
import {
  createWorld,
  recordEvents,
  testKeyStore,
  TEST_PASSPHRASE,
  type TestWorld,
} from '../../helpers/engine/fixtures';
import { WISP_BIN } from '../../helpers/engine/cli';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

/** alice and bob talk; alice's profile is backed up and restored into `alice-restored`. */
async function backupAndRestore(alice: Engine): Promise<string> {
  await alice.close();
  const profile = await openProfile(world.profileDir('alice'), testKeyStore());
  const file = join(world.root, 'alice.age');
  let key: string;
  try {
    const result = await exportBackup({
      store: profile.store,
      attachmentsDir: profile.attachmentsDir,
      outFile: file,
      protection: { kind: 'recoveryKey' },
    });
    key = result.recoveryKey!;
  } finally {
    profile.close();
  }
  const target = world.profileDir('alice-restored');
  await importBackup({
    inFile: file,
    targetDir: target,
    keystore: testKeyStore(),
    identities: [parseIdentity(key)],
  });
  return target;
}

async function texts(engine: Engine, withName: string): Promise<string[]> {
  return (await engine.messages(withName)).map((m) => m.text);
}

describe('a restored profile', () => {
  it('exchanges messages both ways with a peer after the original moved its ratchets past the backup', async () => {
    let alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'before the backup');
    await bob.sync();
    await bob.sendText('alice', 'reply before the backup');
    await alice.sync();
    const restoredDir = await backupAndRestore(alice);

    // The original goes on talking, so bob's ratchet moves past what the backup holds.
    alice = await world.open('alice');
    for (let i = 0; i < 3; i++) {
      await alice.sendText('bob', `after the backup ${i}`);
      await bob.sync();
      await bob.sendText('alice', `bob after the backup ${i}`);
      await alice.sync();
    }
    await alice.close();

    const restored = await Engine.open({ profileDir: restoredDir, keystore: testKeyStore() });
    const restoredEvents = recordEvents(restored);
    const bobEvents = recordEvents(bob);
    try {
      expect(await texts(restored, 'bob')).toEqual(['before the backup', 'reply before the backup']);
      // Bob writes with his newest ratchet, which the restored copy cannot follow: it resets.
      await bob.sendText('alice', 'bob to the restored alice');
      await restored.sync();
      await bob.sync();
      expect(restoredEvents.some((e) => e.type === 'session.reset')).toBe(true);
      expect(bobEvents.some((e) => e.type === 'session.reset')).toBe(true);
      // From then on both ways work on the new session.
      await restored.sendText('bob', 'restored alice to bob');
      expect((await bob.sync()).map((m) => m.text)).toContain('restored alice to bob');
      await bob.sendText('alice', 'bob again');
      expect((await restored.sync()).map((m) => m.text)).toContain('bob again');
    } finally {
      await restored.close();
    }
  });

  it('restores a send that was still in flight as failed, so it can be retried instead of hanging as pending', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hello');
    await bob.sync();
    await world.stopRelay();
    const unsent = await alice.sendText('bob', 'written while the relay was away');
    expect(unsent.state).toBe('pending');
    const restoredDir = await backupAndRestore(alice);
    await world.restartRelay();

    const restored = await Engine.open({ profileDir: restoredDir, keystore: testKeyStore() });
    try {
      const copy = (await restored.messages('bob')).find((m) => m.id === unsent.id);
      // The outbox stays with the device that queued it: nothing will ever send this copy.
      expect(copy?.state).toBe('failed');
      await restored.sendText('bob', copy!.text);
      expect((await bob.sync()).map((m) => m.text)).toContain('written while the relay was away');
    } finally {
      await restored.close();
    }
  });

  it('stops the original device with AccountMoved once the restored profile connects', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hello');
    await bob.sync();
    const restoredDir = await backupAndRestore(alice);

    const original = await world.open('alice');
    await original.connect();
    const restored = await Engine.open({ profileDir: restoredDir, keystore: testKeyStore() });
    try {
      const moved = new Promise<void>((resolve) =>
        original.on((e) => {
          if (e.type === 'connection.changed' && e.state === 'offline') resolve();
        }),
      );
      await restored.connect();
      await moved;
      const error = await original.sendText('bob', 'from the old device').catch((e: unknown) => e);
      expect(isWispError(error, 'AccountMoved'), String(error)).toBe(true);
      expect(isWispError(await original.sync().catch((e: unknown) => e), 'AccountMoved')).toBe(true);
      // The restored device is the one that stays connected and works.
      await restored.sendText('bob', 'from the restored device');
      expect((await bob.sync()).map((m) => m.text)).toContain('from the restored device');
    } finally {
      await restored.close();
      await original.close();
    }
  });

  it('makes `wisp sync` on the original exit non-zero with kind AccountMoved', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hello');
    await bob.sync();
    const restoredDir = await backupAndRestore(alice);

    const ping = await bob.sendText('alice', 'are you there');
    const child = spawn(
      process.execPath,
      [
        WISP_BIN,
        'sync',
        '--wait',
        '8',
        '--profile',
        world.profileDir('alice'),
        '--keystore',
        'passphrase',
        '--json',
      ],
      {
        env: { ...process.env, WISP_PASSPHRASE: TEST_PASSPHRASE, WISP_LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The CLI is connected once its delivery receipt for the ping reaches bob.
    for (let i = 0; i < 100; i++) {
      await bob.sync();
      if ((await bob.messages('alice')).find((m) => m.id === ping.id)?.state === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await bob.messages('alice')).find((m) => m.id === ping.id)?.state).toBe('delivered');
    const restored = await Engine.open({ profileDir: restoredDir, keystore: testKeyStore() });
    try {
      await restored.connect();
      expect(await exited).toBe(1);
      expect(JSON.parse(stderr.trim().split('\n').at(-1)!) as unknown).toMatchObject({
        error: { kind: 'AccountMoved' },
      });
    } finally {
      await restored.close();
    }
  });
});
