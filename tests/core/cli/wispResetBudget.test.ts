// Security audit finding 10 through the real CLI: every `wisp sync` is a new process, and a stranger
// who keeps sending undecryptable messages must not get a session reset (a prekey-bundle fetch
// by the victim) out of each one. The victim's profile talks to a real relay on port 0 through the
// tamper proxy, which counts its `prekeys.bundle` requests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRelay } from '../../../relay/index';
import {
  bundleFetches,
  sendUndecryptable,
  victimNamed,
  whisperTemplate,
} from '../../helpers/engine/brokenSessions';
import { runWisp, wisp } from '../../helpers/engine/cli';
import { startTamperProxy } from '../../helpers/engine/tamperProxy';
import { SignalUser } from '../../helpers/relay/signalUser';

describe('wisp session resets across runs', () => {
  it('separate `wisp sync` runs reset a stranger’s broken session once per contact interval, not once per run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wisp-cli-reset-'));
    const relay = await startRelay({ port: 0, logger: false });
    const proxy = await startTamperProxy(relay.url);
    try {
      const profile = join(root, 'victim');
      const init = await runWisp([
        'init',
        '--profile',
        profile,
        '--keystore',
        'passphrase',
        '--relay',
        proxy.url.replace(/\/v1\/ws$/, ''),
        '--username',
        'victim',
        '--json',
      ]);
      expect(init.code, init.stderr).toBe(0);
      const stranger = await SignalUser.register(relay.url, { preKeys: 10 });
      const victim = await victimNamed('victim', stranger);
      const inner = await whisperTemplate(relay.url);

      for (let run = 0; run < 3; run++) {
        await sendUndecryptable(stranger, victim, inner);
        const synced = await wisp(profile, ['sync']);
        expect(synced.code, synced.stderr).toBe(0);
        // The first run resets (one fetch of the stranger's bundle); later runs find the budget spent.
        expect(bundleFetches(proxy, [stranger.accountId]), `after run ${run + 1}`).toBe(1);
      }
      await stranger.client.close();
    } finally {
      await proxy.close();
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
