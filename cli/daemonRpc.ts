// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over newline-delimited JSON for `wisp daemon`:
// one request, notification or batch per line in, one response (or batch of responses) per line out.
import type { Readable, Writable } from 'node:stream';

export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
/** Implementation-defined server error: a Wisp error other than bad input (its kind is in data). */
export const RPC_WISP_ERROR = -32000;

/** A line longer than this is refused unread, so a client cannot make the daemon buffer without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;

export type RpcId = string | number | null;
export type RpcParams = Record<string, unknown> | unknown[] | undefined;

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** Thrown by a method to answer with this error object. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toObject(): RpcErrorObject {
    return {
      code: this.code,
      message: this.message,
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

/** Runs one method call; throws RpcError (or anything, mapped by the dispatcher's toError). */
export type RpcHandler = (method: string, params: RpcParams) => Promise<unknown>;

export interface RpcResponse {
  jsonrpc: '2.0';
  id: RpcId;
  result?: unknown;
  error?: RpcErrorObject;
}

function failure(id: RpcId, error: RpcErrorObject): RpcResponse {
  return { jsonrpc: '2.0', id, error };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validId(value: unknown): value is RpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Answers one request object; null for a notification (no `id` member), which gets no answer even
 * when it fails (spec, section 4.1).
 */
async function answer(
  request: unknown,
  handler: RpcHandler,
  toError: (error: unknown) => RpcErrorObject,
): Promise<RpcResponse | null> {
  if (!isObject(request)) return failure(null, { code: RPC_INVALID_REQUEST, message: 'Invalid Request' });
  const hasId = Object.hasOwn(request, 'id');
  const id = hasId && validId(request.id) ? request.id : null;
  const params = request.params;
  if (
    request.jsonrpc !== '2.0' ||
    typeof request.method !== 'string' ||
    (hasId && !validId(request.id)) ||
    (params !== undefined && typeof params !== 'object') ||
    params === null
  ) {
    return failure(id, { code: RPC_INVALID_REQUEST, message: 'Invalid Request' });
  }
  try {
    const result = await handler(request.method, params as RpcParams);
    return hasId ? { jsonrpc: '2.0', id, result: result ?? null } : null;
  } catch (error) {
    return hasId ? failure(id, toError(error)) : null;
  }
}

/**
 * Answers one line of input: a request, a notification or a batch. Returns the JSON text to write
 * back, or null when nothing is owed (a notification, or a batch of notifications only).
 */
export async function answerLine(
  line: string,
  handler: RpcHandler,
  toError: (error: unknown) => RpcErrorObject,
): Promise<string | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return JSON.stringify(failure(null, { code: RPC_PARSE_ERROR, message: 'Parse error' }));
  }
  if (!Array.isArray(parsed)) {
    const response = await answer(parsed, handler, toError);
    return response === null ? null : JSON.stringify(response);
  }
  if (parsed.length === 0) {
    return JSON.stringify(failure(null, { code: RPC_INVALID_REQUEST, message: 'Invalid Request' }));
  }
  // The calls of a batch run concurrently (the spec allows any order); answers keep request order.
  const responses = (await Promise.all(parsed.map((r) => answer(r, handler, toError)))).filter(
    (r): r is RpcResponse => r !== null,
  );
  return responses.length === 0 ? null : JSON.stringify(responses);
}

export interface RpcConnection {
  /** Sends a notification (no id) to this client, unless it has gone. */
  notify(method: string, params: unknown): void;
  /** Resolves once the input has ended and every call it made has been answered (or dropped). */
  finished: Promise<void>;
}

/**
 * Serves one client: reads lines from `input`, answers on `output`. A client that goes away mid-call
 * does not disturb anyone: the call runs to its end and its answer is dropped.
 */
export function serveConnection(
  input: Readable,
  output: Writable,
  handler: RpcHandler,
  toError: (error: unknown) => RpcErrorObject,
): RpcConnection {
  const gone = (): boolean => output.destroyed || output.writableEnded;
  const send = (text: string): void => {
    if (!gone()) output.write(text + '\n');
  };
  // EPIPE / ECONNRESET from a vanished client are expected; without a listener they would crash us.
  output.on('error', () => undefined);
  input.on('error', () => undefined);

  const inFlight = new Set<Promise<void>>();
  const handle = (line: string): void => {
    if (line.trim().length === 0) return;
    const call = answerLine(line, handler, toError).then(
      (text) => {
        if (text !== null) send(text);
      },
      () => undefined,
    );
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  };

  let buffered = '';
  let discarding = false;
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    let rest = chunk;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const line = buffered + rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      buffered = '';
      if (discarding) discarding = false;
      else handle(line);
    }
    if (discarding) return;
    buffered += rest;
    if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
      buffered = '';
      discarding = true;
      send(
        JSON.stringify(
          failure(null, { code: RPC_PARSE_ERROR, message: `Parse error: line over ${MAX_LINE_BYTES} bytes` }),
        ),
      );
    }
  });
  const finished = new Promise<void>((resolve) => {
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      if (!discarding && buffered.trim().length > 0) handle(buffered);
      buffered = '';
      void Promise.allSettled([...inFlight]).then(() => resolve());
    };
    input.on('end', end);
    input.on('close', end);
  });
  return {
    notify(method, params) {
      send(JSON.stringify({ jsonrpc: '2.0', method, params }));
    },
    finished,
  };
}
