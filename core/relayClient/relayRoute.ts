// How this client reaches its relay: the relay's address and, when the user configured one, the
// SOCKS5 proxy every connection to it goes through (WebSocket and attachment HTTP alike). One route
// is shared by every connection an engine opens, so a new kind of connection takes the proxy without
// being told, and a changed proxy moves all of them. There is no fallback to a direct connection.
import type { Agent } from 'node:http';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { WispError } from '../../common/errors';
import { parseProxyUrl, proxyLabel, type ProxyAddress } from '../../common/proxyUrl';

export type { ProxyAddress } from '../../common/proxyUrl';

/** Parses a proxy address for the engine; a bad one is InvalidInput with the way to write it. */
export function checkProxyUrl(text: string): ProxyAddress {
  const parsed = parseProxyUrl(text);
  if (!parsed.ok) {
    throw new WispError('InvalidInput', parsed.problem, {
      recovery:
        'Give the proxy as socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050), with user:password@ before ' +
        'the host if it needs a login.',
    });
  }
  return parsed.proxy;
}

/** A proxy from optional text: undefined, null or '' mean a direct connection. */
export function proxyFrom(text: string | null | undefined): ProxyAddress | null {
  return text === undefined || text === null || text === '' ? null : checkProxyUrl(text);
}

/**
 * The relay's URL and the route to it. Connections ask for `agent()` each time they open a socket,
 * so a proxy set here applies to the next connection; `onChange` lets open ones move at once.
 */
export class RelayRoute {
  #proxy: ProxyAddress | null;
  #agent: SocksProxyAgent | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(
    readonly url: string,
    proxy: ProxyAddress | null = null,
  ) {
    checkOnionRoute(url, proxy);
    this.#proxy = proxy;
  }

  get proxy(): ProxyAddress | null {
    return this.#proxy;
  }

  /** The proxy as shown to people and in errors: scheme, host and port, never the credentials. */
  get proxyLabel(): string | null {
    return this.#proxy === null ? null : proxyLabel(this.#proxy);
  }

  /**
   * The agent every socket to the relay is opened with: undefined is a direct connection. With
   * socks5h the relay's host name goes to the proxy unresolved (no DNS query leaves this machine).
   */
  agent(): Agent | undefined {
    const proxy = this.#proxy;
    if (proxy === null) return undefined;
    // No `timeout` option: the agent would make it an idle timeout on the whole connection, and a
    // quiet WebSocket (the relay pings every 30 s) would be cut and reconnected. A proxy that never
    // answers the handshake is still bounded: the socks library gives up after 30 s by itself.
    this.#agent ??= new SocksProxyAgent(socksUrl(proxy));
    return this.#agent;
  }

  /** Switches every connection on this route to `proxy` (null: direct); open ones reconnect. */
  setProxy(proxy: ProxyAddress | null): void {
    if (sameProxy(proxy, this.#proxy)) return;
    checkOnionRoute(this.url, proxy);
    this.#proxy = proxy;
    this.#agent?.destroy();
    this.#agent = undefined;
    for (const listener of [...this.#listeners]) listener();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A RelayUnavailable error that says the proxy is the way in: with a proxy configured, the
   * recovery names it and says that nothing goes out without it.
   */
  unavailable(detail: string, cause?: unknown): WispError {
    const label = this.proxyLabel;
    if (label === null) {
      return new WispError('RelayUnavailable', `the relay is unreachable: ${detail}`, {
        recovery: 'Check the relay address and your connection; messages you send wait in the outbox.',
        cause,
      });
    }
    return new WispError(
      'RelayUnavailable',
      `the relay is unreachable through the proxy ${label}: ${detail}`,
      {
        recovery:
          `Wisp reaches the relay only through the proxy ${label} and never connects directly: check that ` +
          'the proxy (e.g. Tor) is running and can reach the relay, or change the proxy setting. ' +
          'Messages you send wait in the outbox.',
        cause,
      },
    );
  }
}

/** Why a socket through the proxy failed, in words that tell the proxy apart from the relay. */
export function proxyFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown } | null)?.code;
  // socks (the library) reports the proxy's own refusal as "Socks5 proxy rejected connection - X".
  const rejected = /Socks5 proxy rejected connection - (\w+)/.exec(message);
  if (rejected) return `the proxy could not reach the relay (${rejected[1]})`;
  if (/authentication/i.test(message)) return 'the proxy refused the user name or password';
  // socks passes the socket error on as a new Error, so its code is only in the message.
  const errno = typeof code === 'string' ? code : /\b(E[A-Z]{3,})\b/.exec(message)?.[1];
  if (errno !== undefined) return `the proxy did not answer (${errno})`;
  if (/timed out/i.test(message)) return 'the proxy did not answer in time';
  return 'the proxy closed the connection';
}

/**
 * A .onion relay exists only inside Tor: reached directly, or through socks5 (which resolves names
 * here), its name would go to the local DNS resolver, telling it which onion service this is.
 */
function checkOnionRoute(url: string, proxy: ProxyAddress | null): void {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return; // checkRelayUrl reports a bad relay address when a connection is opened
  }
  if (!host.endsWith('.onion') || proxy?.scheme === 'socks5h') return;
  throw new WispError('InvalidInput', 'a .onion relay is reachable only through Tor with socks5h://', {
    recovery: 'Set the proxy to Tor with remote name resolution: socks5h://127.0.0.1:9050.',
  });
}

function socksUrl(proxy: ProxyAddress): string {
  const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
  const login =
    proxy.username === null
      ? ''
      : `${encodeURIComponent(proxy.username)}${proxy.password === null ? '' : `:${encodeURIComponent(proxy.password)}`}@`;
  return `${proxy.scheme}://${login}${host}:${proxy.port}`;
}

function sameProxy(a: ProxyAddress | null, b: ProxyAddress | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.scheme === b.scheme &&
    a.host === b.host &&
    a.port === b.port &&
    a.username === b.username &&
    a.password === b.password
  );
}
