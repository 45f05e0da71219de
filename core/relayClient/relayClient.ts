// The engine's connection to the relay: one WebSocket speaking common/wire, with typed requests,
// challenge-response authentication, pushed envelopes handed over one at a time, and automatic
// reconnection with exponential backoff and full jitter (so many clients do not reconnect in step).
// Plain ws:// is accepted only for a relay on this machine; anything remote needs TLS (wss://).
// Every socket goes the client's RelayRoute: direct, or through the user's SOCKS5 proxy, never both.
import { isIPv4 } from 'node:net';
import WebSocket from 'ws';
import { WispError, type WispErrorKind } from '../../common/errors';
import {
  ACCOUNT_MOVED_CLOSE,
  HTTP_PATHS,
  OPS,
  PushFrame,
  ResponseFrame,
  SIGNING_CONTEXT,
  type DeliveredEnvelope,
  type OpBody,
  type OpName,
  type OpResult,
} from '../../common/wire';
import { loggerFor } from '../log';
import { RelayRoute, proxyFailure, type ProxyAddress } from './relayRoute';
import { pairwiseBatcher, sealedBatcher } from './batchers';

const log = loggerFor('relayClient');

export type RelayConnectionState = 'offline' | 'connecting' | 'online';

/** Signs relay challenges with the identity key; the key itself never enters this module. */
export type ChallengeSigner = (message: Uint8Array<ArrayBuffer>) => Uint8Array;

export interface RelayClientOptions {
  /**
   * wss:// URL (ws:// only on loopback); a bare origin gets the relay's WebSocket path. Or an
   * engine's RelayRoute: every client made from the same route shares its proxy and follows a
   * change of it (the socket is reopened through the new route).
   */
  url: string | RelayRoute;
  /** SOCKS5 proxy for a client given a plain URL (with a RelayRoute, the route's proxy applies). */
  proxy?: ProxyAddress | null;
  /** Account to authenticate as; null for a client that will register first. */
  accountId: string | null;
  sign: ChallengeSigner;
  /** Called for each pushed envelope, one at a time, in arrival order. */
  onEnvelope?: (envelope: DeliveredEnvelope) => Promise<void>;
  /** Everything queued when we authenticated has been pushed (and handed to onEnvelope). */
  onQueueEmpty?: () => void;
  onState?: (state: RelayConnectionState) => void;
  /** The relay ended this connection because the account connected elsewhere; no reconnect follows. */
  onAccountMoved?: () => void;
  /** Reconnect after a drop (app mode). The CLI uses one connection per command. */
  reconnect?: boolean;
  requestTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

type RelayClientHandlers = Pick<
  RelayClientOptions,
  'onEnvelope' | 'onQueueEmpty' | 'onState' | 'onAccountMoved'
>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  op: OpName;
}

export class RelayRequestError extends WispError {
  readonly retryAfterMs: number | undefined;
  /** Why a send without identity was refused (no matching delivery key, or a bad token). */
  readonly reason: 'deliveryKey' | 'token' | undefined;
  constructor(kind: WispErrorKind, message: string, retryAfterMs?: number, reason?: 'deliveryKey' | 'token') {
    super(
      kind,
      message,
      kind === 'RelayRateLimited' ? { recovery: 'Wait a moment and try again.' } : undefined,
    );
    this.retryAfterMs = retryAfterMs;
    this.reason = reason;
  }
}

/** A host name that can only mean this machine: localhost, 127.0.0.0/8 or ::1 (as URL parses them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Parses and checks a relay address: ws:// or wss://, and ws:// only to loopback (on any other
 * host the envelopes' metadata and the attachment tokens would cross the network unencrypted).
 */
export function checkRelayUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WispError('InvalidInput', 'the relay address is not a valid URL', {
      recovery: 'Give it as wss://HOST[:PORT] (or ws://127.0.0.1:PORT for a relay on this machine).',
    });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new WispError('InvalidInput', 'the relay address must start with ws:// or wss://', {
      recovery: 'Give it as wss://HOST[:PORT] (or ws://127.0.0.1:PORT for a relay on this machine).',
    });
  }
  if (parsed.protocol === 'ws:' && !isLoopbackHost(parsed.hostname)) {
    throw new WispError('InvalidInput', 'plain ws:// is only allowed for a relay on this machine', {
      recovery: `Use wss://${parsed.host} (TLS) for a remote relay; ws:// works only for 127.0.0.1, ::1 or localhost.`,
    });
  }
  return parsed;
}

/** This device stops: the account was restored and connected on another one (one device per account). */
export function accountMovedError(): WispError {
  return new WispError('AccountMoved', 'this account is now active on another device', {
    recovery:
      'The account was restored from a backup elsewhere and that device connected; use Wisp there. ' +
      'Connecting here again would move the account back and stop the other device.',
  });
}

/** ws://host:port → ws://host:port/v1/ws; a URL that already has a path is kept as given. */
export function websocketUrl(url: string): string {
  const parsed = checkRelayUrl(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = HTTP_PATHS.websocket;
  return parsed.toString();
}

/** The relay's HTTP base URL (attachments) for its WebSocket URL: https unless on loopback. */
export function httpBaseUrl(url: string | RelayRoute): string {
  const parsed = checkRelayUrl(typeof url === 'string' ? url : url.url);
  parsed.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:';
  return parsed.origin;
}

export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
  // Full jitter, with a floor of a tenth so we never hammer in a tight loop.
  return Math.round(ceiling / 10 + random() * ceiling * 0.9);
}

export class RelayClient {
  private readonly options: Required<Pick<RelayClientOptions, 'requestTimeoutMs' | 'backoff'>> &
    RelayClientOptions;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private envelopeChain: Promise<void> = Promise.resolve();
  private stateValue: RelayConnectionState = 'offline';
  private authenticated = false;
  private moved = false;
  /** The route every socket of this client takes (and the errors name). */
  readonly route: RelayRoute;
  private unsubscribeRoute: (() => void) | null = null;
  /** The last socket error before the connection opened: why the proxy or the relay was not reached. */
  private connectError: unknown = null;
  accountId: string | null;

  constructor(options: RelayClientOptions) {
    this.options = { requestTimeoutMs: 20_000, backoff: { initialMs: 250, maxMs: 30_000 }, ...options };
    this.accountId = options.accountId;
    if (typeof options.url === 'string') {
      this.route = new RelayRoute(options.url, options.proxy ?? null);
    } else {
      if (options.proxy !== undefined)
        throw new WispError('Internal', "a client on a RelayRoute takes the route's proxy, not its own");
      this.route = options.url;
    }
  }

  private unavailable(detail: string, cause?: unknown): WispError {
    return this.route.unavailable(detail, cause);
  }

  /** The route's proxy changed: drop the socket so the next one (reconnect or request) takes the new route. */
  private rerouted(): void {
    const socket = this.socket;
    if (socket === null) return;
    log.info('relay route changed; reconnecting');
    this.attempt = 0;
    socket.terminate();
    // Settled now, not at the socket's 'close' event: a request made right after the change must
    // wait for the new route, not find the old socket closing (onClose ignores the late event).
    this.onClose(socket);
  }

  /**
   * The options that say how to reach the relay (address, proxy, timeouts, reconnection), without
   * the account, the signer or the handlers: what a connection for sends without identity reuses.
   */
  transportOptions(): Omit<RelayClientOptions, 'accountId' | 'sign' | keyof RelayClientHandlers> {
    const {
      accountId: _a,
      sign: _s,
      onEnvelope: _e,
      onQueueEmpty: _q,
      onState: _o,
      onAccountMoved: _m,
      ...transport
    } = this.options;
    return transport;
  }

  /** Whether this client reconnects by itself after a drop (live mode). */
  get reconnects(): boolean {
    return this.options.reconnect !== false;
  }

  get state(): RelayConnectionState {
    return this.stateValue;
  }

  private setState(state: RelayConnectionState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.onState?.(state);
  }

  /** Opens the connection (and authenticates when an account id is known); resolves when usable. */
  async connect(): Promise<void> {
    if (this.moved) throw accountMovedError();
    this.closed = false;
    this.unsubscribeRoute ??= this.route.onChange(() => this.rerouted());
    if (this.stateValue === 'online') return;
    const ready = this.waitReady();
    if (this.socket === null) {
      // Someone needs the relay now: try at once rather than at the end of the backoff.
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.open();
    }
    return ready;
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private settleReady(error: Error | null): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  private open(): void {
    this.setState('connecting');
    let socket: WebSocket;
    try {
      // With a proxy the agent opens the TCP connection through it (and TLS inside it for wss://);
      // without one, `agent` is undefined and ws connects directly. Never both.
      const agent = this.route.agent();
      socket = new WebSocket(websocketUrl(this.route.url), {
        maxPayload: 4 * 1024 * 1024,
        ...(agent === undefined ? {} : { agent }),
      });
    } catch (error) {
      this.settleReady(error instanceof WispError ? error : this.unavailable('bad address', error));
      this.setState('offline');
      return;
    }
    this.socket = socket;
    this.connectError = null;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.onFrame(rawText(data));
    });
    socket.on('open', () => {
      this.onOpen().catch((error: unknown) => {
        log.warn({ kind: (error as WispError).kind }, 'relay handshake failed');
        const fatal = error instanceof WispError && error.kind === 'Unauthorized';
        if (fatal) {
          this.closed = true;
          this.settleReady(error);
        }
        socket.terminate();
      });
    });
    socket.on('error', (error) => {
      if (socket.readyState !== WebSocket.OPEN) this.connectError = error;
      log.debug({ kind: 'RelayUnavailable', type: error.name }, 'relay socket error');
    });
    socket.on('close', (code) => this.onClose(socket, code));
  }

  private async onOpen(): Promise<void> {
    this.attempt = 0;
    this.authenticated = false;
    if (this.accountId !== null) await this.authenticate();
    this.setState('online');
    this.settleReady(null);
  }

  private async authenticate(): Promise<void> {
    const accountId = this.accountId;
    if (accountId === null) throw new WispError('Internal', 'no account to authenticate');
    const { nonce } = await this.send('auth.challenge', {});
    const message = concat(utf8(SIGNING_CONTEXT.auth), Buffer.from(nonce, 'base64'), utf8(accountId));
    const signature = Buffer.from(this.options.sign(message)).toString('base64');
    await this.send('auth', { accountId, nonce, signature });
    this.authenticated = true;
  }

  /**
   * Registers a new account on this connection (connect() first, with accountId null), then
   * authenticates as it. Returns the relay-assigned account id.
   */
  async register(identityKey: Uint8Array, registrationId: number): Promise<string> {
    await this.connect();
    const { nonce } = await this.send('auth.challenge', {});
    const message = concat(utf8(SIGNING_CONTEXT.register), Buffer.from(nonce, 'base64'));
    const signature = Buffer.from(this.options.sign(message)).toString('base64');
    const { accountId } = await this.send('register', {
      identityKey: Buffer.from(identityKey).toString('base64'),
      registrationId,
      nonce,
      signature,
    });
    // A successful register authenticates this connection as the new account.
    this.accountId = accountId;
    this.authenticated = true;
    return accountId;
  }

  private onClose(socket: WebSocket, code?: number): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.authenticated = false;
    const moved = code === ACCOUNT_MOVED_CLOSE.code;
    const unavailable = (detail: string): WispError => this.closedError(detail);
    if (moved) {
      this.moved = true;
      this.closed = true;
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(moved ? accountMovedError() : unavailable(`connection closed during ${p.op}`));
      this.pending.delete(id);
    }
    this.setState('offline');
    if (moved) {
      this.settleReady(accountMovedError());
      this.options.onAccountMoved?.();
      return;
    }
    if (this.closed) {
      this.settleReady(unavailable('the client was closed'));
      return;
    }
    if (this.options.reconnect === false) {
      this.settleReady(unavailable('connection closed'));
      return;
    }
    // Callers waiting for this attempt learn now that the relay is unreachable (the outbox keeps
    // their messages); reconnection goes on in the background.
    this.settleReady(unavailable('connection lost; reconnecting'));
    const delay = backoffDelay(this.attempt++, this.options.backoff.initialMs, this.options.backoff.maxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed) this.open();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  /**
   * The error for a connection that closed: when it never opened through the proxy, the proxy's own
   * words say whether the proxy was down or could not reach the relay.
   */
  private closedError(detail: string): WispError {
    const failed = this.connectError;
    if (failed !== null && this.route.proxy !== null) return this.unavailable(proxyFailure(failed), failed);
    return this.unavailable(detail);
  }

  private onFrame(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      log.warn('relay sent a frame that is not JSON');
      return;
    }
    if (typeof value === 'object' && value !== null && 'push' in value) {
      const push = PushFrame.safeParse(value);
      if (!push.success) {
        log.warn('relay sent a malformed push');
        return;
      }
      this.onPush(push.data);
      return;
    }
    const response = ResponseFrame.safeParse(value);
    if (!response.success) {
      log.warn('relay sent a malformed response');
      return;
    }
    const frame = response.data;
    if (frame.id === null) {
      log.warn({ kind: frame.ok ? 'ok' : frame.error.kind }, 'relay could not read a request');
      return;
    }
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) {
      const parsed = OPS[pending.op].result.safeParse(frame.body);
      if (parsed.success) pending.resolve(parsed.data);
      else
        pending.reject(new WispError('Internal', `the relay answered ${pending.op} with an unexpected body`));
    } else {
      // ResponseFrame already limited `kind` to the relay's error kinds (common/wire/errors.ts).
      pending.reject(
        new RelayRequestError(
          frame.error.kind,
          frame.error.message,
          frame.error.retryAfterMs,
          frame.error.reason,
        ),
      );
    }
  }

  private onPush(push: PushFrame): void {
    switch (push.push) {
      case 'envelope': {
        const handler = this.options.onEnvelope;
        if (!handler) return;
        // Strictly one at a time: decryption order matters for ratchets and for exactly-once.
        this.envelopeChain = this.envelopeChain
          .then(() => handler(push.body))
          .catch((error: unknown) => {
            log.error({ kind: (error as WispError).kind ?? 'Internal' }, 'envelope handler failed');
          });
        return;
      }
      case 'queueEmpty': {
        const done = this.options.onQueueEmpty;
        if (done) this.envelopeChain = this.envelopeChain.then(() => done());
        return;
      }
      case 'goingAway':
        this.socket?.close(1001);
        return;
    }
  }

  /** Resolves once every envelope pushed so far has been handled. */
  async drained(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.envelopeChain;
      await chain;
    } while (chain !== this.envelopeChain);
  }

  /** Sends one request on the current socket (no waiting for reconnection). */
  private send<K extends OpName>(op: K, body: OpBody<K>): Promise<OpResult<K>> {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(this.unavailable('not connected'));
    }
    const id = this.nextId++;
    if (this.nextId > 2 ** 31 - 1) this.nextId = 1;
    return new Promise<OpResult<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(this.unavailable(`${op} timed out`));
      }, this.options.requestTimeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, op });
      socket.send(JSON.stringify({ id, op, body }), (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(this.unavailable(`could not send ${op}`, error));
      });
    });
  }

  /** A typed request; waits for the connection (and authentication) first. */
  async request<K extends OpName>(op: K, body: OpBody<K>): Promise<OpResult<K>> {
    if (this.moved) throw accountMovedError();
    if (this.closed) throw this.unavailable('the client was closed');
    if (this.stateValue !== 'online' || (OPS[op].auth && !this.authenticated)) await this.connect();
    // Pairwise sends made together go out together (sendBatcher.ts, batchers.ts).
    if (op === 'message.send')
      return this.sendBatcher.send(body as OpBody<'message.send'>) as Promise<OpResult<K>>;
    if (op === 'message.sendSealed')
      return this.sealedBatcher.send(body as OpBody<'message.sendSealed'>) as Promise<OpResult<K>>;
    // Requests keep their order on the wire (the relay runs a connection's requests in turn): a
    // room's sender keys queued just before its first message must reach the relay before it.
    this.sendBatcher.flush();
    this.sealedBatcher.flush();
    return this.send(op, body);
  }

  private readonly sendBatcher = pairwiseBatcher((op, body) => this.send(op, body));
  private readonly sealedBatcher = sealedBatcher((op, body) => this.send(op, body));

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000);
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1000).unref();
      });
    }
    this.unsubscribeRoute?.();
    this.unsubscribeRoute = null;
    this.settleReady(this.unavailable('the client was closed'));
    await this.envelopeChain.catch(() => undefined);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.concat(parts));
}
