// Drives `wisp daemon` (bin/wisp.mjs) as a bot would: a real child process on a real profile,
// JSON-RPC 2.0 lines over its stdio or over its Unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { CLI_PASSPHRASE, WISP_BIN } from './cli';

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** One JSON-RPC client: requests by id, notifications kept in arrival order. */
export class RpcClient {
  /** Every line received, parsed (a batch answer is an array). */
  readonly received: (RpcMessage | RpcMessage[])[] = [];
  private nextId = 1;
  private buffered = '';
  private waiters: { test: () => boolean; resolve: () => void; reject: (error: Error) => void }[] = [];
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim()) this.received.push(JSON.parse(line) as RpcMessage | RpcMessage[]);
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.test()) return true;
        w.resolve();
        return false;
      });
    });
    // A daemon that died (or dropped us) fails the waiting test at once instead of at its timeout.
    input.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w.reject(new Error('the daemon closed the connection'));
      this.waiters = [];
    });
  }

  /** Resolves once `test` holds on what was received (checked now and after every line). */
  waitUntil(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the daemon closed the connection'));
    return new Promise((resolve, reject) => this.waiters.push({ test, resolve, reject }));
  }

  /** Writes one raw line (for malformed input). */
  sendLine(line: string): void {
    this.output.write(line + '\n');
  }

  /** The answer to request `id` (single, not batched) once it arrives. */
  async response(id: string | number): Promise<RpcMessage> {
    const find = () =>
      this.received.find((m): m is RpcMessage => !Array.isArray(m) && m.id === id && m.method === undefined);
    await this.waitUntil(() => find() !== undefined);
    return find()!;
  }

  /** Sends a request and returns its whole response object. */
  async request(method: string, params?: unknown): Promise<RpcMessage> {
    // String ids of their own, so they never meet the numeric ids a test writes by hand.
    const id = `req-${this.nextId++}`;
    this.sendLine(
      JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
    );
    return this.response(id);
  }

  /** Sends a request and returns its result, throwing on an error response. */
  async call<T = Record<string, unknown>[]>(method: string, params?: unknown): Promise<T> {
    const response = await this.request(method, params);
    if (response.error) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
    return response.result as T;
  }

  notifications(method: string): Record<string, unknown>[] {
    return this.received
      .filter((m): m is RpcMessage => !Array.isArray(m) && m.method === method && m.id === undefined)
      .map((m) => m.params ?? {});
  }

  /** The first notification `method` whose params satisfy `test`, once it has arrived. */
  async notification(
    method: string,
    test: (params: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    const find = () => this.notifications(method).find(test);
    await this.waitUntil(() => find() !== undefined);
    return find()!;
  }
}

export interface DaemonProcess {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | string>;
  /** Ends the daemon with SIGTERM and waits for it. */
  stop(): Promise<number | string>;
}

function spawnDaemon(profile: string, extra: string[]): DaemonProcess {
  const child = spawn(
    process.execPath,
    [WISP_BIN, 'daemon', '--profile', profile, '--keystore', 'passphrase', ...extra],
    {
      env: { ...process.env, WISP_PASSPHRASE: CLI_PASSPHRASE, WISP_LOG_LEVEL: 'error' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((res) =>
    child.on('exit', (code, signal) => res(code ?? signal ?? -1)),
  );
  return {
    child,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `wisp daemon` on stdio, with a client on its stdin/stdout, once it has said daemon.ready. */
export async function startStdioDaemon(profile: string): Promise<DaemonProcess & { client: RpcClient }> {
  const daemon = spawnDaemon(profile, []);
  const client = new RpcClient(daemon.child.stdout!, daemon.child.stdin!);
  await Promise.race([
    client.notification('daemon.ready', () => true),
    daemon.exited.then((code) => {
      throw new Error(`wisp daemon exited (${code}) before it was ready: ${daemon.stderr()}`);
    }),
  ]);
  return { ...daemon, client };
}

/** `wisp daemon --socket PATH`, once its ready line (socket path, account) is on stdout. */
export async function startSocketDaemon(
  profile: string,
  socketPath: string,
): Promise<DaemonProcess & { ready: Record<string, unknown> }> {
  const daemon = spawnDaemon(profile, ['--socket', socketPath]);
  let out = '';
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    daemon.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
    });
    void daemon.exited.then((code) =>
      reject(new Error(`wisp daemon exited (${code}) before it listened: ${daemon.stderr()}`)),
    );
  });
  return { ...daemon, ready };
}

/** A client on the daemon's Unix socket. */
export async function connectSocket(path: string): Promise<{ client: RpcClient; socket: Socket }> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { client: new RpcClient(socket, socket), socket };
}
