// A real SOCKS5 proxy (Debian's microsocks) on loopback, and a witness in front of the relay that
// records where each TCP connection to the relay came from and what it asked for. microsocks binds
// its outgoing connections to 127.0.0.2, so the witness tells a proxied connection (from 127.0.0.2)
// from a direct one (from 127.0.0.1): what the relay itself would see as the peer address.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

/** The source address microsocks connects from; a direct client connects from 127.0.0.1. */
export const PROXY_EGRESS = '127.0.0.2';

export const MICROSOCKS = '/usr/bin/microsocks';

export function haveMicrosocks(): boolean {
  return spawnSync(MICROSOCKS, ['-h'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Whether the SOCKS5 tests of `what` must be skipped: only outside CI, with a warning. Under
 * CI=true a missing microsocks throws, so a CI machine without it fails instead of passing silently.
 */
export function skipMicrosocks(what: string): boolean {
  if (haveMicrosocks()) return false;
  if (process.env.CI === 'true')
    throw new Error('microsocks is not installed (apt-get install -y microsocks)');
  console.warn(`microsocks is not installed; ${what} are skipped`);
  return true;
}

export interface SocksProxy {
  url: string;
  port: number;
  /** Lines microsocks printed: one "client[n] ADDR: connected to HOST:PORT" per proxied connection. */
  readonly log: string[];
  stop(): Promise<void>;
}

/** A port that was free a moment ago (microsocks takes a port number, not 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts microsocks on 127.0.0.1 (optionally with a login); `scheme` is socks5h unless given. */
export async function startMicrosocks(
  options: { user?: string; password?: string; scheme?: 'socks5' | 'socks5h'; port?: number } = {},
): Promise<SocksProxy> {
  const port = options.port ?? (await freePort());
  const args = ['-i', '127.0.0.1', '-p', String(port), '-b', PROXY_EGRESS];
  if (options.user !== undefined) args.push('-u', options.user, '-P', options.password ?? '');
  const child: ChildProcess = spawn(MICROSOCKS, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const collect = (chunk: Buffer) => log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  for (let i = 0; i < 200 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 25));
  if (!(await canConnect(port))) {
    child.kill();
    throw new Error(`microsocks did not start on port ${port}: ${log.join(' | ')}`);
  }
  const login =
    options.user === undefined
      ? ''
      : `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? '')}@`;
  let stopped: Promise<void> | null = null;
  return {
    url: `${options.scheme ?? 'socks5h'}://${login}127.0.0.1:${port}`,
    port,
    log,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}

export interface WitnessedConnection {
  /** The peer address the relay's listener saw. */
  from: string;
  /** The first line of the (decrypted) request: "GET /v1/ws HTTP/1.1", "PUT /v1/attachments/…". */
  request: string;
  closed: boolean;
}

export interface RelayWitness {
  /** ws://localhost:PORT/v1/ws (or wss:// with TLS): give this to clients instead of the relay's URL. */
  url: string;
  port: number;
  readonly connections: WitnessedConnection[];
  close(): Promise<void>;
}

/**
 * A TCP (or TLS-terminating) front for the relay on 127.0.0.1: forwards each connection to the relay
 * unchanged and records its peer address and request line. `tls` makes it a wss:// relay whose
 * certificate the client must trust (NODE_EXTRA_CA_CERTS in a child process).
 */
export async function startRelayWitness(
  relayPort: number,
  tls?: { key: string; cert: string },
): Promise<RelayWitness> {
  const connections: WitnessedConnection[] = [];
  const sockets = new Set<Socket>();
  const onSocket = (client: Socket, from: string) => {
    sockets.add(client);
    const entry: WitnessedConnection = { from, request: '', closed: false };
    connections.push(entry);
    const upstream = connect(relayPort, '127.0.0.1');
    sockets.add(upstream);
    let head = '';
    client.on('data', (chunk: Buffer) => {
      if (!head.includes('\r\n')) {
        head += chunk.toString('latin1');
        entry.request = head.split('\r\n')[0] ?? '';
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      entry.closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  };
  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, (s) => onSocket(s, s.remoteAddress ?? ''))
    : createServer((s) => onSocket(s, s.remoteAddress ?? ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'wss' : 'ws'}://localhost:${port}/v1/ws`,
    port,
    connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A self-signed certificate for "localhost" made with Debian's openssl, PEM strings and the cert's path. */
export function localhostCertificate(dir: string): { key: string; cert: string; certPath: string } {
  const keyPath = `${dir}/localhost.key`;
  const certPath = `${dir}/localhost.crt`;
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}
