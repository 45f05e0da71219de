// `wisp daemon`: one process holds the profile open (the engine's profile lock, one unlock, one live
// relay connection) and serves the CLI's commands as JSON-RPC 2.0 over stdio or a Unix socket, with
// engine events as notifications. For bots, which would otherwise pay start-up and unlock per command.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { isWispError, WispError } from '../common/errors';
import type { EngineEvent } from '../common/engine/events';
import type { EngineApi } from '../core/engine';
import { commands, runWithHeldEngine, type CommandSpec, type Values } from './commands';
import {
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_METHOD_NOT_FOUND,
  RPC_WISP_ERROR,
  RpcError,
  serveConnection,
  type RpcConnection,
  type RpcErrorObject,
  type RpcParams,
} from './daemonRpc';
import { openEngine } from './engineFor';
import { createOutput, messageRecord } from './output';

/** Commands a daemon does not serve: it runs on an existing profile, and one daemon is enough. */
// `init` and `backup import` make a new profile and `backup export` opens the profile itself (the
// daemon holds its lock): none of them belongs to a daemon serving one open profile.
const NOT_SERVED = new Set(['init', 'daemon', 'backup export', 'backup import']);

/** `room send` is also callable as `room.send`, a method name without a space. */
function commandFor(method: string): CommandSpec | undefined {
  const name = method.replace('.', ' ');
  if (NOT_SERVED.has(name) || !Object.hasOwn(commands, name)) return undefined;
  return commands[name];
}

/** JSON-RPC params (by name, as the CLI's long options) to the values a command parses. */
function valuesOf(spec: CommandSpec, params: RpcParams): Values {
  if (params === undefined) return {};
  if (Array.isArray(params)) {
    throw new RpcError(RPC_INVALID_PARAMS, 'Invalid params: give params by name (an object)', {
      kind: 'InvalidInput',
    });
  }
  const values: Values = {};
  for (const [name, value] of Object.entries(params)) {
    const option = Object.hasOwn(spec.options, name) ? spec.options[name] : undefined;
    const bad = (why: string): RpcError =>
      new RpcError(RPC_INVALID_PARAMS, `Invalid params: ${why}`, { kind: 'InvalidInput' });
    if (option === undefined) throw bad(`unknown parameter ${JSON.stringify(name.slice(0, 64))}`);
    if (option.type === 'boolean') {
      if (typeof value !== 'boolean') throw bad(`${name} must be true or false`);
      values[name] = value;
    } else if (typeof value === 'string') {
      values[name] = value;
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      values[name] = String(value); // timers and waits in seconds, as on the command line
    } else {
      throw bad(`${name} must be a string`);
    }
  }
  return values;
}

function toRpcError(error: unknown): RpcErrorObject {
  if (error instanceof RpcError) return error.toObject();
  if (isWispError(error)) {
    const code = error.kind === 'InvalidInput' ? RPC_INVALID_PARAMS : RPC_WISP_ERROR;
    return { code, message: error.message, data: error.toJSON() };
  }
  return {
    code: RPC_INTERNAL_ERROR,
    message: 'Internal error',
    data: { kind: 'Internal', message: 'Internal error' },
  };
}

/** An event as JSON: messages in the CLI's contract shape (the same object `wisp sync --json` prints). */
function eventParams(event: EngineEvent): Record<string, unknown> {
  const { type: _type, ...rest } = event;
  if ('message' in event) return { ...rest, message: messageRecord(event.message) };
  return rest;
}

export interface DaemonOptions {
  /** Serve on this Unix socket path instead of stdin/stdout. */
  socket?: string;
}

/** Makes sure the socket's folder is ours alone (0700) and no live daemon listens at `path`. */
async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new WispError(
      'InvalidInput',
      `the socket folder ${dir} must be a folder of yours that only you can open (mode 0700)`,
      {
        recovery: `Run \`chmod 700 ${dir}\`, or give --socket a path in a private folder.`,
      },
    );
  }
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    return;
  }
  if (!existing.isSocket()) {
    throw new WispError('InvalidInput', `${path} exists and is not a socket`, {
      recovery: 'Give --socket a path that does not exist yet.',
    });
  }
  const alive = await new Promise<boolean>((done) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      done(true);
    });
    probe.once('error', () => done(false));
  });
  if (alive) {
    throw new WispError('InvalidInput', `another daemon is listening on ${path}`, {
      recovery: 'Stop it first, or give --socket another path.',
    });
  }
  unlinkSync(path); // a socket left behind by a daemon that was killed
}

async function listen(path: string, onClient: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onClient);
  // The socket file is created 0600 (umask) and chmod'ed again after: no other user may connect.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(path, () => {
        server.off('error', fail);
        done();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return server;
}

/**
 * Runs until stdin ends (stdio mode) or SIGTERM/SIGINT. The profile stays open, and the relay
 * connection live, for the whole run.
 */
export async function runDaemon(values: Values, options: DaemonOptions): Promise<void> {
  // A bad socket path is refused before the profile is unlocked.
  if (options.socket !== undefined) await prepareSocketPath(resolve(options.socket));
  const engine: EngineApi = await openEngine(values);
  const clients = new Set<RpcConnection>();
  const handler = async (method: string, params: RpcParams): Promise<unknown> => {
    const spec = commandFor(method);
    if (!spec) throw new RpcError(RPC_METHOD_NOT_FOUND, 'Method not found', { method: method.slice(0, 64) });
    const commandValues = valuesOf(spec, params);
    const records: unknown[] = [];
    const out = createOutput(true, (line) => records.push(JSON.parse(line)));
    await runWithHeldEngine(engine, () => spec.run(commandValues, out));
    return records;
  };
  const unsubscribe = engine.on((event) => {
    const params = eventParams(event);
    for (const client of clients) client.notify(event.type, params);
  });
  const ready = { accountId: engine.accountId, username: engine.username };

  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const stopped = new Promise<void>((resolveStop) => {
    const stop = (): void => resolveStop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (options.socket === undefined) {
      const client = serveConnection(process.stdin, process.stdout, handler, toRpcError);
      clients.add(client);
      client.notify('daemon.ready', ready);
      void client.finished.then(stop);
    }
  });

  try {
    if (options.socket !== undefined) {
      const path = resolve(options.socket);
      server = await listen(path, (socket) => {
        sockets.add(socket);
        const client = serveConnection(socket, socket, handler, toRpcError);
        clients.add(client);
        socket.once('close', () => {
          sockets.delete(socket);
          clients.delete(client);
        });
      });
      process.stdout.write(JSON.stringify({ socket: path, ...ready }) + '\n');
    }
    await engine.connect();
    await stopped;
  } finally {
    unsubscribe();
    if (server) {
      const closed = new Promise((done) => server!.close(done));
      for (const socket of sockets) socket.end();
      await closed;
      try {
        unlinkSync(resolve(options.socket!));
      } catch {
        // already gone
      }
    }
    await engine.close();
  }
}
