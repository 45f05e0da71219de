// The client side of the offline trust root (issue 9, finding 7): a profile pins the relay's
// trust root when it is created, and only sends under a sender certificate that chains to it. A
// relay restarted with a server key from another root (a replaced or foreign key) gets the
// messages held in the outbox, not sent into certificates every recipient would drop unseen;
// they go out once the relay serves a key from the pinned root again (as after a rotation).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keygen } from '../../../relay/serverKeys';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

describe('pinned relay trust root', () => {
  it('holds messages while the relay signs under another trust root, and sends them once it is back on the pinned one', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'first');
    await bob.sync();
    await alice.close();
    await bob.close();

    // The relay's development key file (relay/serverKeys.ts): replaced by a key from a new root.
    // It keeps the account-hash key (`keygen --hash-key-from`): with another one the relay would
    // not start at all on this database (tests/relay/accountHashUpgrade.test.ts).
    const keyFile = join(world.root, 'relay', 'server-key.json');
    const original = readFileSync(keyFile);
    const originalCopy = join(world.root, 'original-server-key.json');
    writeFileSync(originalCopy, original, { mode: 0o600 });
    await world.stopRelay();
    rmSync(keyFile);
    keygen(join(world.root, 'another-root.json'), keyFile, originalCopy);
    await world.restartRelay();

    const aliceAgain = await world.open('alice');
    const held = await aliceAgain.sendText('bob', 'under the pinned root only');
    expect(held.state).toBe('pending');
    await aliceAgain.close();

    await world.stopRelay();
    writeFileSync(keyFile, original, { mode: 0o600 });
    await world.restartRelay();
    const aliceThird = await world.open('alice');
    await aliceThird.sync();
    expect((await aliceThird.messages('bob')).find((m) => m.id === held.id)?.state).toBe('sent');
    const bobAgain = await world.open('bob');
    expect((await bobAgain.sync()).map((m) => m.text)).toEqual(['under the pinned root only']);
  });
});
