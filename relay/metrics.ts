// Operator metrics in the Prometheus text format (version 0.0.4), served on a listener of their own
// (`wisp-relay --metrics HOST:PORT`). Counts only: no label ever carries an account, a username, a
// hash or an address, so a scrape reveals how busy the relay is and nothing about who uses it.
import { createServer, type Server } from 'node:http';

/** What a counter counts; each becomes `wisp_relay_<name>_total`. */
const COUNTERS = {
  connections: 'WebSocket connections accepted',
  envelopes_stored: 'envelopes accepted into a recipient queue',
  envelopes_refused: 'envelopes refused (queue full, stale registration, unknown recipient)',
  envelopes_delivered: 'envelopes acknowledged by their recipient and deleted',
  envelopes_expired: 'envelopes deleted unread at their expiry',
  rate_limited: 'requests and frames refused by a rate limit',
} as const;

/** What a gauge reports; each becomes `wisp_relay_<name>`, read at scrape time. */
const GAUGES = {
  connections_open: 'WebSocket connections open now',
  envelopes_queued: 'envelopes waiting in recipient queues now (every node, with a shared database)',
} as const;

type CounterName = keyof typeof COUNTERS;
type GaugeName = keyof typeof GAUGES;

export class RelayMetrics {
  private readonly counts = new Map<CounterName, number>(
    Object.keys(COUNTERS).map((k) => [k as CounterName, 0]),
  );
  private readonly gauges = new Map<GaugeName, () => number | Promise<number>>();

  private add(name: CounterName, n: number): void {
    if (Number.isFinite(n) && n > 0) this.counts.set(name, this.counts.get(name)! + n);
  }

  connectionOpened(): void {
    this.add('connections', 1);
  }

  /** The outcomes of one enqueue: 'stored' or a reason it was not. */
  enqueued(outcomes: readonly (string | undefined)[]): void {
    const stored = outcomes.filter((o) => o === 'stored').length;
    this.add('envelopes_stored', stored);
    this.add('envelopes_refused', outcomes.length - stored);
  }

  delivered(count: number): void {
    this.add('envelopes_delivered', count);
  }

  expired(count: number): void {
    this.add('envelopes_expired', count);
  }

  rateLimited(): void {
    this.add('rate_limited', 1);
  }

  /** Registers how to read the gauges (the running relay's own state). */
  observe(readers: { [K in GaugeName]?: () => number | Promise<number> }): void {
    for (const [name, read] of Object.entries(readers)) if (read) this.gauges.set(name as GaugeName, read);
  }

  /** The exposition text. A gauge whose read fails (storage down) is left out, not reported as 0. */
  async exposition(): Promise<string> {
    const lines: string[] = [];
    for (const [name, help] of Object.entries(COUNTERS) as [CounterName, string][]) {
      lines.push(`# HELP wisp_relay_${name}_total ${help}`, `# TYPE wisp_relay_${name}_total counter`);
      lines.push(`wisp_relay_${name}_total ${this.counts.get(name)}`);
    }
    for (const [name, help] of Object.entries(GAUGES) as [GaugeName, string][]) {
      const read = this.gauges.get(name);
      if (!read) continue;
      let value: number;
      try {
        value = await read();
      } catch {
        continue;
      }
      lines.push(
        `# HELP wisp_relay_${name} ${help}`,
        `# TYPE wisp_relay_${name} gauge`,
        `wisp_relay_${name} ${value}`,
      );
    }
    return lines.join('\n') + '\n';
  }
}

export interface MetricsServer {
  /** http://HOST:PORT/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Parses `--metrics` as PORT, HOST:PORT or [IPV6]:PORT; the host defaults to 127.0.0.1. */
export function parseMetricsAddress(value: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(value);
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

/** Serves GET /metrics on its own listener, apart from the public WebSocket and HTTP port. */
export async function serveMetrics(
  metrics: RelayMetrics,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.exposition().then(
      (text) =>
        response
          .writeHead(200, {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
            'cache-control': 'no-store',
          })
          .end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    port: bound,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
