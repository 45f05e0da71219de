// `wisp init --relay` (issue 9, finding 6): plain ws:// only to a relay on this machine; a remote
// ws:// address fails with a typed InvalidInput and a recovery hint naming wss://, before any
// profile is created or any connection attempted.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../../relay';
import { runWisp } from '../../helpers/engine/cli';

let relay: RunningRelay;
let dir: string;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
  dir = mkdtempSync(join(tmpdir(), 'wisp-init-relay-url-'));
});
afterAll(async () => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wisp init --relay address rule', () => {
  it('wisp init --relay ws://remote.example fails with InvalidInput and leaves no profile', async () => {
    const profile = join(dir, 'remote');
    const result = await runWisp([
      'init',
      '--relay',
      'ws://remote.example:8787',
      '--profile',
      profile,
      '--keystore',
      'passphrase',
      '--json',
    ]);
    expect(result.code).not.toBe(0);
    const error = (
      JSON.parse(result.stderr.trim().split('\n').pop()!) as { error: { kind: string; recovery?: string } }
    ).error;
    expect(error.kind).toBe('InvalidInput');
    expect(error.recovery).toMatch(/wss:\/\//);
    expect(existsSync(profile)).toBe(false);
  });

  it('wisp init --relay ws://127.0.0.1:PORT still works', async () => {
    const profile = join(dir, 'local');
    const result = await runWisp([
      'init',
      '--relay',
      `ws://127.0.0.1:${relay.port}`,
      '--profile',
      profile,
      '--keystore',
      'passphrase',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(result.lines[0]).toHaveProperty('accountId');
  });
});
