// `wisp-relay`: runs the relay from the command line, prints its listening URL as one JSON line on
// stdout, logs to stderr, and shuts down gracefully on SIGTERM/SIGINT. `wisp-relay keygen` makes
// the offline trust root and signs server keys with it.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { isWispError } from '../common/errors';
import { startRelay } from './index';
import { createRelayLogger } from './log';
import { parseMetricsAddress, RelayMetrics, serveMetrics, type MetricsServer } from './metrics';
import { keygen } from './serverKeys';
import { createTokenSecretFile } from './tokenKeys';

const USAGE = `usage: wisp-relay [--port N] [--host ADDR] (--data DIR | --database postgres://…) [--schema NAME]
                  [--server-key FILE] [--token-secret FILE] [--metrics ADDR]
       wisp-relay keygen --root ROOT_FILE --out SERVER_KEY_FILE [--hash-key-from OLD_SERVER_KEY_FILE]
       wisp-relay token-secret --out TOKEN_SECRET_FILE
  --port N            TCP port (default 8787; 0 picks a free one)
  --host ADDR         listen address (default 127.0.0.1)
  --data DIR          SQLite data directory (default ./wisp-relay-data)
  --database URL      PostgreSQL connection string instead of SQLite (needs --server-key)
  --schema NAME       PostgreSQL schema (default public)
  --server-key FILE   server key file from \`wisp-relay keygen\` (default with --data: DIR/server-key.json,
                      created on first start as a development key that cannot be rotated)
  --token-secret FILE the secret sealing the anonymous-send token keys in the database, made on first
                      start (default: token-key-secret.json next to the server key file); give every
                      PostgreSQL node the same file
  --log-level L       pino level (default info)
  --metrics ADDR      serve Prometheus metrics at http://ADDR/metrics (PORT or HOST:PORT; host
                      default 127.0.0.1); off unless given. Counts only, no accounts or addresses
keygen: creates the trust root in ROOT_FILE if it does not exist (keep it offline), then signs a new
  server key with the next key id into SERVER_KEY_FILE (never overwritten). Start the relay with
  --server-key SERVER_KEY_FILE; to rotate, run keygen again with the same ROOT_FILE. Every server key
  a root signs carries the root's account-hash key (stored account ids are hashed with it); a root
  made before it had one gets it from --hash-key-from, the key file the relay runs with now.
token-secret: writes a new secret that seals the token issuer keys in the database (never
  overwritten); give the same file to every node with --token-secret.`;

function keygenMain(args: string[]): void {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { root: { type: 'string' }, out: { type: 'string' }, 'hash-key-from': { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (!values.root || !values.out) {
    process.stderr.write(`keygen needs --root and --out\n${USAGE}\n`);
    process.exit(2);
  }
  const root = resolve(values.root);
  const out = resolve(values.out);
  try {
    const from = values['hash-key-from'];
    const result = keygen(root, out, from === undefined ? undefined : resolve(from));
    process.stdout.write(`${JSON.stringify({ ...result, root, serverKey: out })}\n`);
  } catch (error) {
    const hint = isWispError(error) && error.recovery ? ` (${error.recovery})` : '';
    process.stderr.write(
      `wisp-relay keygen: ${error instanceof Error ? error.message : String(error)}${hint}\n`,
    );
    process.exit(1);
  }
}

function tokenSecretMain(args: string[]): void {
  let out: string | undefined;
  try {
    out = parseArgs({ args, options: { out: { type: 'string' } }, strict: true }).values.out;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (!out) {
    process.stderr.write(`token-secret needs --out\n${USAGE}\n`);
    process.exit(2);
  }
  try {
    createTokenSecretFile(resolve(out));
    process.stdout.write(`${JSON.stringify({ tokenSecret: resolve(out) })}\n`);
  } catch (error) {
    const hint = isWispError(error) && error.recovery ? ` (${error.recovery})` : '';
    process.stderr.write(
      `wisp-relay token-secret: ${error instanceof Error ? error.message : String(error)}${hint}\n`,
    );
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'keygen') {
    keygenMain(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === 'token-secret') {
    tokenSecretMain(process.argv.slice(3));
    return;
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string' },
        database: { type: 'string' },
        schema: { type: 'string' },
        'server-key': { type: 'string' },
        'token-secret': { type: 'string' },
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
  // Several nodes share one PostgreSQL database: each must be given a key from the same root.
  if (values.database && !values['server-key']) {
    process.stderr.write(`--database needs --server-key FILE (see wisp-relay keygen)\n${USAGE}\n`);
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
    ...(values['server-key'] ? { serverKeyFile: resolve(values['server-key']) } : {}),
    ...(values['token-secret'] ? { tokenSecretFile: resolve(values['token-secret']) } : {}),
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
  // Signal handlers before the ready line: a supervisor may stop us as soon as it reads it.
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
  process.stdout.write(
    `${JSON.stringify({ url: relay.url, httpUrl: relay.httpUrl, port: relay.port, storage: relay.storageKind, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}) })}\n`,
  );
}

main().catch((error: unknown) => {
  const hint = isWispError(error) && error.recovery ? ` (${error.recovery})` : '';
  process.stderr.write(
    `wisp-relay: failed to start: ${error instanceof Error ? error.message : String(error)}${hint}\n`,
  );
  process.exit(1);
});
