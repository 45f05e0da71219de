// The SOCKS5 proxy address a user may route every relay connection through (Tor, an SSH -D tunnel):
// one parser for the CLI, the engine and the settings form, so all three accept exactly the same.

/** socks5h: the proxy resolves the relay's name (what Tor needs); socks5: this machine does. */
export type ProxyScheme = 'socks5' | 'socks5h';

export interface ProxyAddress {
  scheme: ProxyScheme;
  /** Host name or IP address of the proxy (IPv6 without brackets). */
  host: string;
  port: number;
  /** Optional credentials (Tor reads them as a stream-isolation tag, other proxies as a login). */
  username: string | null;
  password: string | null;
}

export type ProxyParse = { ok: true; proxy: ProxyAddress } | { ok: false; problem: string };

/** Longest proxy address accepted (a URL, not a document). */
export const MAX_PROXY_URL_CHARS = 2048;

/** Checks a proxy address: socks5:// or socks5h://, a host, an explicit port, nothing else. */
export function parseProxyUrl(text: string): ProxyParse {
  const fail = (problem: string): ProxyParse => ({ ok: false, problem });
  if (text.length === 0) return fail('the proxy address is empty');
  if (text.length > MAX_PROXY_URL_CHARS) return fail('the proxy address is too long');
  if (text.trim() !== text) return fail('the proxy address has spaces around it');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('the proxy address is not a valid URL');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'socks5' && scheme !== 'socks5h') {
    // socks4 has no authentication and no remote DNS; http proxies are a different protocol.
    return fail('the proxy address must start with socks5h:// or socks5://');
  }
  // new URL() keeps a custom scheme's host as written; an empty one means "socks5h:///x" or ":9050".
  const rawHost = url.hostname;
  if (rawHost.length === 0) return fail('the proxy address has no host');
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  if (url.port === '')
    return fail('the proxy address has no port (Tor listens on 9050, Tor Browser on 9150)');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('the proxy port must be 1 to 65535');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return fail('the proxy address must be only scheme, host and port (no path, query or fragment)');
  }
  const username = url.username === '' ? null : safeDecode(url.username);
  const password = url.password === '' ? null : safeDecode(url.password);
  if (username === undefined || password === undefined)
    return fail('the proxy user name or password is badly escaped');
  if (password !== null && username === null)
    return fail('the proxy address has a password but no user name');
  // RFC 1929 limits each to 255 bytes.
  const tooLong = (s: string | null) => s !== null && new TextEncoder().encode(s).length > 255;
  if (tooLong(username) || tooLong(password)) return fail('the proxy user name or password is too long');
  return { ok: true, proxy: { scheme, host, port, username, password } };
}

/** The proxy as shown to the user and written in errors and logs: never the credentials. */
export function proxyLabel(proxy: ProxyAddress): string {
  const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
  return `${proxy.scheme}://${host}:${proxy.port}`;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
