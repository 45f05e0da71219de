// The relay's operator metrics (relay/metrics.ts): a real `wisp-relay --metrics` process and real
// engines sending through it; the scrape shows the counts and nothing that names a user or a peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine';
import { isWispError } from '../../common/errors';
import { startRelay } from '../../relay/index';
import { RelayMetrics, serveMetrics } from '../../relay/metrics';
import { testKeyStore } from '../helpers/engine/fixtures';
import { spawnRelay, stopRelay } from '../helpers/relay/relayProcess';

/** The exposition as name → value; throws on a sample line that carries labels or is not a count. */
function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const sample = /^(wisp_relay_[a-z_]+) (\d+)$/.exec(line);
    if (!sample) throw new Error(`not a bare count: ${line}`);
    values.set(sample[1]!, Number(sample[2]));
  }
  return values;
}

async function scrape(url: string): Promise<{ text: string; values: Map<string, number> }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  const text = await response.text();
  return { text, values: parseExposition(text) };
}

const roots: string[] = [];
const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function twoUsers(relayUrl: string, root: string): Promise<[Engine, Engine]> {
  const create = async (name: string) => {
    const engine = await Engine.create({
      profileDir: join(root, name),
      keystore: testKeyStore(),
      relayUrl,
      username: name,
    });
    engines.push(engine);
    return engine;
  };
  return Promise.all([create('metricsalice'), create('metricsbob')]);
}

describe('relay /metrics', () => {
  it('counts connections, stored, queued and delivered envelopes after a send, and names no account or address', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wisp-metrics-'));
    roots.push(root);
    const relay = await spawnRelay(['--data', join(root, 'relay'), '--metrics', '127.0.0.1:0']);
    try {
      const { metricsUrl } = JSON.parse(relay.stdout().split('\n')[0]!) as { metricsUrl: string };
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(metricsUrl).not.toContain(`:${relay.port}/`); // its own listener, not the public port

      const before = (await scrape(metricsUrl)).values;
      expect(before.get('wisp_relay_envelopes_stored_total')).toBe(0);

      const [alice, bob] = await twoUsers(relay.url, root);
      await alice.sendText('metricsbob', 'count me, not my name');
      const queued = (await scrape(metricsUrl)).values;
      expect(queued.get('wisp_relay_envelopes_stored_total')).toBe(1);
      expect(queued.get('wisp_relay_envelopes_queued')).toBe(1);
      expect(queued.get('wisp_relay_envelopes_delivered_total')).toBe(0);

      await bob.sync();
      const { text, values } = await scrape(metricsUrl);
      expect(values.get('wisp_relay_connections_total')).toBeGreaterThanOrEqual(2);
      expect(values.get('wisp_relay_connections_open')).toBeGreaterThanOrEqual(1);
      expect(values.get('wisp_relay_envelopes_delivered_total')).toBeGreaterThanOrEqual(1);
      expect(values.get('wisp_relay_envelopes_stored_total')).toBeGreaterThanOrEqual(1);

      for (const secret of [alice.accountId, bob.accountId, 'metricsalice', 'metricsbob', '127.0.0.1']) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+|[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-/i);
      expect((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(404);
    } finally {
      await stopRelay(relay);
    }
  });

  it('counts envelopes deleted at expiry and requests refused by a rate limit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wisp-metrics-'));
    roots.push(root);
    let now = Date.now();
    const metrics = new RelayMetrics();
    const relay = await startRelay({
      port: 0,
      logger: false,
      now: () => now,
      metrics,
      limits: { rates: { usernameLookups: { burst: 1, perSecond: 0.001 } } },
    });
    const server = await serveMetrics(metrics, '127.0.0.1', 0);
    try {
      const [alice] = await twoUsers(relay.url, root);
      await alice.sendText('metricsbob', 'nobody will read this', { expireAfterMs: 60_000 });
      // The send's own lookup of metricsbob took the one lookup token.
      const refused = await alice.lookup('someone_else').catch((e: unknown) => e);
      expect(isWispError(refused, 'RelayRateLimited')).toBe(true);

      now += 2 * 60 * 60_000;
      expect((await relay.purgeExpired()).envelopes).toBe(1);

      const { values } = await scrape(server.url);
      expect(values.get('wisp_relay_envelopes_expired_total')).toBe(1);
      expect(values.get('wisp_relay_envelopes_queued')).toBe(0);
      expect(values.get('wisp_relay_rate_limited_total')).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
      await relay.close();
    }
  });
});
