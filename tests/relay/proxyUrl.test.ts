// The proxy address as the CLI, the engine and Settings → Network accept it (common/proxyUrl.ts,
// core/relayClient/relayRoute.ts): socks5h:// or socks5:// with a host and an explicit port, optional
// credentials, nothing else; every refusal is InvalidInput with the way to write it, and neither the
// error nor the label ever carries the password.
import { describe, expect, it } from 'vitest';
import { parseProxyUrl, proxyLabel } from '../../common/proxyUrl';
import { RelayRoute, checkProxyUrl, proxyFailure } from '../../core/relayClient/relayRoute';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { WispError } from '../../common/errors';

function refusal(text: string): WispError {
  try {
    checkProxyUrl(text);
  } catch (error) {
    if (error instanceof WispError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('proxy address', () => {
  it('accepts socks5h and socks5 with host and port, IPv6 and credentials', () => {
    expect(checkProxyUrl('socks5h://127.0.0.1:9050')).toEqual({
      scheme: 'socks5h',
      host: '127.0.0.1',
      port: 9050,
      username: null,
      password: null,
    });
    expect(checkProxyUrl('socks5://[::1]:1080')).toMatchObject({ scheme: 'socks5', host: '::1', port: 1080 });
    expect(checkProxyUrl('socks5h://tor.internal:9150/')).toMatchObject({ host: 'tor.internal', port: 9150 });
    expect(checkProxyUrl('socks5h://me:p%40ss@proxy.example:1080')).toMatchObject({
      username: 'me',
      password: 'p@ss',
    });
  });

  it.each([
    ['', 'empty'],
    [' socks5h://127.0.0.1:9050', 'spaces'],
    ['127.0.0.1:9050', 'not a valid URL'],
    ['http://127.0.0.1:8080', 'socks5h:// or socks5://'],
    ['https://127.0.0.1:8080', 'socks5h:// or socks5://'],
    ['socks4://127.0.0.1:1080', 'socks5h:// or socks5://'],
    ['socks://127.0.0.1:1080', 'socks5h:// or socks5://'],
    ['socks5h://127.0.0.1', 'no port'],
    ['socks5h://127.0.0.1:0', '1 to 65535'],
    ['socks5h://127.0.0.1:65536', 'not a valid URL'],
    ['socks5h:///9050', 'no host'],
    ['socks5h://127.0.0.1:9050/path', 'no path'],
    ['socks5h://127.0.0.1:9050?x=1', 'no path'],
    ['socks5h://127.0.0.1:9050#f', 'no path'],
    ['socks5h://:secret@127.0.0.1:9050', 'password but no user name'],
    ['socks5h://u:%E0%A4%A@127.0.0.1:9050', 'badly escaped'],
    [`socks5h://${'u'.repeat(256)}@127.0.0.1:9050`, 'user name or password is too long'],
    [`socks5h://${'h'.repeat(2100)}:1`, 'address is too long'],
  ])('refuses a bad address as InvalidInput with the way to write it: case %#', (text, problem) => {
    const error = refusal(text);
    expect(error.kind).toBe('InvalidInput');
    expect(error.message).toContain(problem);
    expect(error.recovery).toContain('socks5h://127.0.0.1:9050');
    expect(parseProxyUrl(text).ok).toBe(false);
  });

  it('labels and errors name scheme, host and port, never the credentials', () => {
    const proxy = checkProxyUrl('socks5h://alice:hunter2@[::1]:9050');
    expect(proxyLabel(proxy)).toBe('socks5h://[::1]:9050');
    const route = new RelayRoute('wss://relay.example', proxy);
    const error = route.unavailable('the proxy did not answer (ECONNREFUSED)');
    expect(error.kind).toBe('RelayUnavailable');
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
    expect(JSON.stringify(error.toJSON())).not.toContain('alice');
    expect(error.recovery).toContain('socks5h://[::1]:9050');
  });

  it('a .onion relay is refused without Tor-style remote DNS (socks5h): its name would go to the local resolver', () => {
    const onion = 'wss://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion';
    expect(() => new RelayRoute(onion, null)).toThrow(/only through Tor/);
    expect(() => new RelayRoute(onion, checkProxyUrl('socks5://127.0.0.1:9050'))).toThrow(/only through Tor/);
    const route = new RelayRoute(onion, checkProxyUrl('socks5h://127.0.0.1:9050'));
    expect(() => route.setProxy(null)).toThrow(/only through Tor/);
    expect(route.proxyLabel).toBe('socks5h://127.0.0.1:9050');
  });

  it('puts no idle timeout on proxied sockets (a quiet WebSocket lives between the relay pings, 30 s apart)', () => {
    const route = new RelayRoute('wss://relay.example', checkProxyUrl('socks5h://127.0.0.1:9050'));
    const agent = route.agent() as SocksProxyAgent;
    expect(agent).toBeInstanceOf(SocksProxyAgent);
    expect(agent.timeout).toBeNull();
    expect(route.agent()).toBe(agent);
    route.setProxy(null);
    expect(route.agent()).toBeUndefined();
  });

  it('tells a proxy that is down from a proxy that cannot reach the relay', () => {
    expect(proxyFailure(new Error('connect ECONNREFUSED 127.0.0.1:9050'))).toBe(
      'the proxy did not answer (ECONNREFUSED)',
    );
    expect(proxyFailure(new Error('Socks5 proxy rejected connection - HostUnreachable'))).toBe(
      'the proxy could not reach the relay (HostUnreachable)',
    );
    expect(proxyFailure(new Error('Socket closed'))).toBe('the proxy closed the connection');
  });
});
