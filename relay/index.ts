// startRelay(): the whole relay in one call — storage, sealed-sender server key, the WebSocket op
// endpoint, HTTP routes, expiry purge and graceful shutdown. Tests start it on port 0 in-process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import websocket from '@fastify/websocket';
import { DEFAULT_TOKEN_ISSUER_NAME, HTTP_PATHS } from '../common/wire';
import { resolveLimits, type RelayLimits, type RelayLimitsInput } from './config';
import type { RelayContext } from './context';
import { registerHttpRoutes } from './http';
import { AccountHasher, legacyAccountHash, SealedSenderAuthority } from './identity';
import { createRelayLogger, type Logger } from './log';
import { RelayMetrics } from './metrics';
import { addressKey, RateLimiter } from './rateLimiter';
import { prepareServerKey } from './serverKeys';
import { Session, type SessionHooks } from './session';
import { SqliteStorage } from './storage/sqlite';
import type { AccountKeying, LegacyServerKeys, RelayStorage } from './storage/types';
import { TokenKeyRing } from './tokenKeys';
import { spendTokens, TokenService } from './tokens';

export interface StartRelayOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** SQLite data directory; when neither this nor databaseUrl is given, a temp dir removed on close. */
  dataDir?: string;
  /** PostgreSQL connection string; several relays may share one database. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); default "public". Lets tests isolate themselves. */
  databaseSchema?: string;
  /** SQLite synchronous mode; FULL (default) is durable across power loss, NORMAL across kill -9. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** A pino logger, or false for none. Default: warnings and errors to stderr. */
  logger?: Logger | false;
  limits?: RelayLimitsInput;
  /**
   * Server key file from `wisp-relay keygen` (server key, its certificate, the trust root's public
   * key). Default with dataDir: <dataDir>/server-key.json, created on first start from a throwaway
   * root; otherwise a throwaway key in memory. The database never holds a key.
   */
  serverKeyFile?: string;
  /**
   * The secret that seals the token issuer keys in the database (relay/tokenKeys.ts), made on
   * first start. Default: token-key-secret.json next to the server key file; with neither, in
   * memory only. Every node of a PostgreSQL relay must be given the same file.
   */
  tokenSecretFile?: string;
  /** The issuer name in this relay's TokenChallenge (default "wisp-relay"). */
  tokenIssuerName?: string;
  /** Clock override for tests of expiry (ms since epoch). */
  now?: () => number;
  /** Where to count for /metrics (relay/metrics.ts); a private one when not given. */
  metrics?: RelayMetrics;
}

export interface RunningRelay {
  /** ws://HOST:PORT/v1/ws */
  url: string;
  /** http://HOST:PORT */
  httpUrl: string;
  port: number;
  storageKind: RelayStorage['kind'];
  limits: RelayLimits;
  /**
   * Verifies and spends anonymous-send tokens as the unauthenticated send path does (relay/tokens.ts
   * spendTokens): for embedding code and tests.
   */
  spendTokens(tokens: readonly Uint8Array[]): Promise<void>;
  /** Runs the expiry purge now (it also runs every limits.purgeIntervalMs). */
  purgeExpired(): Promise<{ envelopes: number; attachments: number }>;
  close(): Promise<void>;
}

async function openStorage(
  opts: StartRelayOptions,
  log: Logger,
  onLegacyServerKeys: (keys: LegacyServerKeys) => void,
  accountKeying: () => AccountKeying,
): Promise<{ storage: RelayStorage; cleanup?: () => void }> {
  const onSlow = (what: string, ms: number) => log.warn({ what, ms }, 'slow storage operation');
  const { sqliteSynchronous: synchronous } = opts;
  if (opts.databaseUrl) {
    const { PostgresStorage } = await import('./storage/postgres');
    const { databaseUrl: url, databaseSchema: schema } = opts;
    return {
      storage: await PostgresStorage.open({ url, schema, onSlow, onLegacyServerKeys, accountKeying }),
    };
  }
  if (opts.dataDir)
    return {
      storage: new SqliteStorage({
        dataDir: opts.dataDir,
        synchronous,
        onSlow,
        onLegacyServerKeys,
        accountKeying,
      }),
    };
  const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-'));
  return {
    storage: new SqliteStorage({ dataDir: dir, synchronous, onSlow, onLegacyServerKeys, accountKeying }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function startRelay(opts: StartRelayOptions = {}): Promise<RunningRelay> {
  const log: Logger =
    opts.logger === false ? createRelayLogger('silent') : (opts.logger ?? createRelayLogger('warn'));
  const limits = resolveLimits(opts.limits);
  const keyFile = opts.serverKeyFile ?? (opts.dataDir ? join(opts.dataDir, 'server-key.json') : null);
  const serverKey = prepareServerKey(keyFile, opts.serverKeyFile !== undefined, log);
  // Asked for by the migration runner, after a legacy key export (serverKeys.ts finish() is memoised).
  let hasher: AccountHasher | null = null;
  const accountKeying = (): AccountKeying => {
    hasher ??= new AccountHasher(serverKey.finish().accountHashKey);
    const h = hasher;
    return { hash: (id) => h.hash(id), legacyHash: legacyAccountHash, keyCheck: () => h.keyCheck() };
  };
  const { storage, cleanup } = await openStorage(opts, log, serverKey.onLegacyServerKeys, accountKeying);
  const now = opts.now ?? Date.now;
  let authority: SealedSenderAuthority;
  let accounts: AccountHasher;
  let tokens: TokenService;
  try {
    authority = new SealedSenderAuthority(serverKey.finish());
    accountKeying();
    accounts = hasher!;
    const secretFile =
      opts.tokenSecretFile ?? (keyFile ? join(dirname(keyFile), 'token-key-secret.json') : null);
    const ring = await TokenKeyRing.open(
      storage,
      secretFile,
      { periodMs: limits.tokenKeyPeriodMs, overlapMs: limits.tokenKeyOverlapMs },
      now(),
    );
    tokens = new TokenService({
      ring,
      issuerName: opts.tokenIssuerName ?? DEFAULT_TOKEN_ISSUER_NAME,
      tokensPerDay: limits.tokensPerDay,
      now,
    });
  } catch (error) {
    await storage.close();
    cleanup?.();
    throw error;
  }
  const ctx: RelayContext = {
    storage,
    limits,
    limiter: new RateLimiter(opts.now),
    authority,
    accounts,
    log,
    now,
    metrics: opts.metrics ?? new RelayMetrics(),
    tokens,
  };

  // Live connections by recipient hash: a stored envelope (on any node) wakes its recipient's pump.
  const byAccount = new Map<string, Set<Session>>();
  const sessions = new Set<Session>();
  storage.onWake((hashHex, envelope) => {
    if (hashHex === null) for (const s of sessions) void s.pump();
    else for (const s of byAccount.get(hashHex) ?? []) s.deliver(envelope);
  });
  const hooks: SessionHooks = {
    authenticated(s) {
      const key = s.accountHashHex!;
      let set = byAccount.get(key);
      if (!set) byAccount.set(key, (set = new Set()));
      // Memory: kicked connections of a peer that does not read linger until their close times
      // out, so the account's connections (live and closing) are capped; past it `auth` fails.
      if (set.size >= limits.maxConnectionsPerAccount) return false;
      // One active device per account: the newest connection wins, the older ones are told why.
      for (const older of set) older.accountMoved();
      set.add(s);
      return true;
    },
    closed(s) {
      sessions.delete(s);
      const key = s.accountHashHex;
      if (!key) return;
      const set = byAccount.get(key);
      set?.delete(s);
      if (set?.size === 0) byAccount.delete(key);
    },
  };

  // Fastify's own logger is off: its request logs would carry client addresses.
  // Timeouts: a request (an upload) must finish within httpRequestTimeoutMs, a connection silent
  // for httpIdleTimeoutMs is closed (a stalled upload body), idle keep-alives close sooner.
  // Node checks the request deadline every connectionsCheckingInterval, so that follows it, and
  // only enforces a requestTimeout given when the server is created (hence also under `http`).
  const app = Fastify({
    logger: false,
    trustProxy: false,
    requestTimeout: limits.httpRequestTimeoutMs,
    connectionTimeout: limits.httpIdleTimeoutMs,
    keepAliveTimeout: limits.httpKeepAliveTimeoutMs,
    http: {
      requestTimeout: limits.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, limits.httpRequestTimeoutMs / 4)),
    },
  });
  await app.register(websocket, { options: { maxPayload: limits.maxFrameBytes, perMessageDeflate: false } });
  // Browsers name the page behind every WebSocket upgrade and cross-origin request in `Origin`;
  // Wisp's own clients (the app's main process, the CLI) send none. Refusing any request that
  // carries one keeps web pages from driving a relay on a loopback port.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin === undefined) {
      done();
      return;
    }
    void reply
      .code(403)
      .header('cache-control', 'no-store')
      .send({
        error: { kind: 'Unauthorized', message: 'requests from web pages (with an Origin) are refused' },
      });
  });
  let closing = false;
  app.get(HTTP_PATHS.websocket, { websocket: true }, (socket, request) => {
    if (closing) {
      socket.close(1001, 'shutting down');
      return;
    }
    if (sessions.size >= limits.maxConnections) {
      socket.close(1013, 'relay at connection capacity');
      return;
    }
    ctx.metrics.connectionOpened();
    sessions.add(new Session(socket, request.socket, ctx, hooks, addressKey(request.socket.remoteAddress)));
  });
  registerHttpRoutes(app, ctx);
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500)
      log.error({ errorClass: error instanceof Error ? error.constructor.name : typeof error }, 'http error');
    void reply.code(status).send({
      error:
        status === 413
          ? { kind: 'PayloadTooLarge', message: 'request too large' }
          : status < 500
            ? { kind: 'InvalidInput', message: 'bad request' }
            : { kind: 'Internal', message: 'internal error' },
    });
  });

  ctx.metrics.observe({
    connections_open: () => sessions.size,
    envelopes_queued: async () => (await storage.totals()).queuedEnvelopes,
  });

  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  const purge = async () => {
    // Token keys rotate here too, so a quiet relay still makes the next key ahead of its period.
    await tokens.rotate();
    const removed = await storage.purgeExpired(ctx.now());
    ctx.metrics.expired(removed.envelopes);
    if (removed.envelopes || removed.attachments) log.info(removed, 'purged expired');
    return removed;
  };
  const keepaliveTimer = setInterval(() => {
    for (const s of sessions) s.keepalive();
  }, limits.keepaliveMs);
  keepaliveTimer.unref();
  const purgeTimer = setInterval(() => {
    purge().catch(() => log.warn('expiry purge failed'));
  }, limits.purgeIntervalMs);
  purgeTimer.unref();
  log.info({ port, storage: storage.kind }, 'relay listening');

  let closed: Promise<void> | null = null;
  return {
    url: `ws://${shownHost}:${port}${HTTP_PATHS.websocket}`,
    httpUrl: `http://${shownHost}:${port}`,
    port,
    storageKind: storage.kind,
    limits,
    purgeExpired: purge,
    spendTokens: (list) => spendTokens(ctx, list),
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(purgeTimer);
        clearInterval(keepaliveTimer);
        // Answer what each connection already sent (so acknowledged means stored), then say goodbye.
        await Promise.race([
          Promise.all([...sessions].map((s) => s.drained())),
          new Promise((r) => setTimeout(r, 5000).unref()),
        ]);
        for (const s of sessions) s.goAway('shutdown');
        await app.close();
        await storage.close();
        cleanup?.();
        log.info('relay stopped');
      })();
      return closed;
    },
  };
}

export type { RelayLimits, RelayLimitsInput } from './config';
