// Child process for bench/relay.bench.ts: runs either the real relay on SQLite ("wisp"; "attack" is
// the same relay with default limits but a 64 MiB queue cap, for the slow-reader attack) or a bare
// `ws` relay with no storage, no auth and no validation ("bare"), so the load generator and the
// server do not share an event loop. Prints {"url": …} on stdout; stops on SIGTERM.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { startRelay } from '../relay';

const mode = process.argv[2];

async function bare(): Promise<{ url: string; close(): Promise<void> }> {
  const byId = new Map<string, WebSocket>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    byId.set(id, ws);
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8')) as { id: number; to: string; payload: string };
      byId.get(f.to)?.send(JSON.stringify({ push: 'envelope', body: { payload: f.payload } }));
      ws.send(JSON.stringify({ id: f.id, ok: true }));
    });
    ws.on('close', () => byId.delete(id));
  });
  await new Promise((r) => wss.once('listening', r));
  const addr = wss.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

async function main(): Promise<void> {
  let server: { url: string; close(): Promise<void> };
  let cleanup = () => {};
  let walSize = () => 0;
  if (mode === 'bare') server = await bare();
  else {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-bench-relay-'));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    walSize = () => statSync(join(dir, 'relay.sqlite-wal')).size;
    server = await startRelay({
      port: 0,
      dataDir: dir,
      logger: false,
      // WISP_BENCH_SYNC=NORMAL measures without the WAL fsync (diagnostics only; the default is FULL).
      sqliteSynchronous: process.env.WISP_BENCH_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL',
      limits:
        mode === 'attack'
          ? { maxQueuedBytes: 64 * 1024 * 1024 }
          : {
              rates: {
                sends: { burst: 100_000, perSecond: 100_000 },
                handshakes: { burst: 100, perSecond: 100 },
                // Every simulated client registers from 127.0.0.1.
                registrations: { burst: 100_000, perSecond: 100_000 },
              },
            },
    });
  }
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  // WISP_BENCH_ELD=1 reports the server's event-loop delay on stderr at exit (diagnostics).
  const eld = process.env.WISP_BENCH_ELD ? monitorEventLoopDelay({ resolution: 5 }) : null;
  eld?.enable();
  // The load generator signals the start of its latency phase, so the report covers only that.
  process.on('SIGUSR2', () => eld?.reset());
  process.on('SIGTERM', () => {
    if (eld) {
      const ms = (p: number) => (eld.percentile(p) / 1e6).toFixed(1);
      process.stderr.write(
        `${mode} event-loop delay ms: p50 ${ms(50)} p99 ${ms(99)} max ${(eld.max / 1e6).toFixed(1)}\n`,
      );
      if (mode === 'wisp') process.stderr.write(`wal bytes at exit: ${walSize()}\n`);
    }
    void server.close().then(() => {
      cleanup();
      process.exit(0);
    });
  });
}

void main();
