// `wisp-relay`: runs the relay from the command line, prints its listening URL as one JSON line on
// stdout, logs to stderr, and shuts down gracefully on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startRelay } from './index';
import { createRelayLogger } from './log';
import { parseMetricsAddress, RelayMetrics, serveMetrics, type MetricsServer } from './metrics';

const USAGE = `usage: wisp-relay [--port N] [--host ADDR] (--data DIR | --database postgres://…) [--schema NAME]
  --port N          TCP port (default 8787; 0 picks a free one)
  --host ADDR       listen address (default 127.0.0.1)
  --data DIR        SQLite data directory (default ./wisp-relay-data)
  --database URL    PostgreSQL connection string instead of SQLite
  --schema NAME     PostgreSQL schema (default public)
  --log-level L     pino level (default info)
  --metrics ADDR    serve Prometheus metrics at http://ADDR/metrics (PORT or HOST:PORT; host
                    default 127.0.0.1); off unless given. Counts only, no accounts or addresses`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string' },
        database: { type: 'string' },
        schema: { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        metrics: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.data && values.database) {
    process.stderr.write(`give --data or --database, not both\n${USAGE}\n`);
    process.exit(2);
  }
  const metricsAddress = values.metrics === undefined ? undefined : parseMetricsAddress(values.metrics);
  if (metricsAddress === null) {
    process.stderr.write(`invalid --metrics (give PORT or HOST:PORT)\n${USAGE}\n`);
    process.exit(2);
  }
  const logger = createRelayLogger(values['log-level']);
  const metrics = new RelayMetrics();
  const relay = await startRelay({
    metrics,
    port,
    host: values.host,
    ...(values.database
      ? { databaseUrl: values.database, databaseSchema: values.schema }
      : { dataDir: resolve(values.data ?? 'wisp-relay-data') }),
    logger,
  });
  let metricsServer: MetricsServer | undefined;
  if (metricsAddress) {
    try {
      metricsServer = await serveMetrics(metrics, metricsAddress.host, metricsAddress.port);
    } catch (error) {
      await relay.close();
      throw error;
    }
  }
  process.stdout.write(
    `${JSON.stringify({ url: relay.url, httpUrl: relay.httpUrl, port: relay.port, storage: relay.storageKind, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}) })}\n`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    Promise.all([relay.close(), metricsServer?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `wisp-relay: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
