// The wisp-relay command: one JSON line with its URL on stdout, /healthz, graceful exit on
// SIGTERM and SIGINT (clients told to go away, exit code 0), and a usage error for bad flags.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HealthzResponse } from '../../common/wire';
import { WireClient } from '../helpers/relay/wireClient';
import { RELAY_BIN, spawnRelay, stopRelay } from '../helpers/relay/relayProcess';

describe('wisp-relay command', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints its URL as JSON, serves /healthz and exits 0 on ${signal}, telling clients to go away`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-cli-'));
      try {
        const relay = await spawnRelay(['--data', dir]);
        expect(JSON.parse(relay.stdout().split('\n')[0]!)).toEqual({
          url: `ws://127.0.0.1:${relay.port}/v1/ws`,
          httpUrl: `http://127.0.0.1:${relay.port}`,
          port: relay.port,
          storage: 'sqlite',
        });
        expect(HealthzResponse.parse(await (await fetch(`${relay.httpUrl}/healthz`)).json())).toEqual({
          ok: true,
          storage: 'sqlite',
        });
        const c = await WireClient.connect(relay.url);
        const goingAway = c.nextPush((p) => p.push === 'goingAway');
        expect(await stopRelay(relay, signal)).toBe(0);
        expect((await goingAway).push).toBe('goingAway');
        expect((await c.closed).code).toBe(1001);
        expect(relay.stderr()).toContain('relay stopped');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('exits 2 with usage on an unknown flag', () => {
    const r = spawnSync(process.execPath, [RELAY_BIN, '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: wisp-relay');
  });
});
