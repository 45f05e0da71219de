// Transport security of the client (issue 9, finding 6): the engine's relay client accepts plain
// ws:// only for a relay on this machine (127.0.0.0/8, ::1, localhost); any other host needs wss://
// (TLS). The refusal is a typed InvalidInput with a recovery hint, before any connection is
// attempted. (`wisp init --relay` is tested in tests/core/cli/initRelayUrl.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWispError } from '../../common/errors';
import { RelayClient, httpBaseUrl, websocketUrl } from '../../core/relayClient/relayClient';
import { startRelay, type RunningRelay } from '../../relay';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

const client = (url: string) =>
  new RelayClient({ url, accountId: null, sign: () => new Uint8Array(64), reconnect: false });

function refusal(fn: () => unknown): { kind: string; recovery: string | undefined } | null {
  try {
    fn();
    return null;
  } catch (error) {
    return isWispError(error)
      ? { kind: error.kind, recovery: error.recovery }
      : { kind: String(error), recovery: undefined };
  }
}

describe('client transport rule', () => {
  it('refuses ws:// to a remote host with InvalidInput and a recovery hint naming wss://, before trying to connect', async () => {
    for (const url of [
      'ws://remote.example',
      'ws://relay.example:8787/v1/ws',
      'ws://10.0.0.5:8787',
      'ws://[2001:db8::1]:80',
    ]) {
      expect(refusal(() => websocketUrl(url))).toMatchObject({
        kind: 'InvalidInput',
        recovery: expect.stringMatching(/wss:\/\//),
      });
      expect(refusal(() => httpBaseUrl(url))).toMatchObject({ kind: 'InvalidInput' });
    }
    const remote = client('ws://remote.example');
    const error = await remote.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isWispError(error, 'InvalidInput')).toBe(true);
    await remote.close();
  });

  it('accepts ws:// on loopback (127.0.0.0/8, ::1, localhost) and wss:// anywhere', async () => {
    for (const url of [
      'ws://127.0.0.1:4000',
      'ws://127.8.9.10',
      'ws://[::1]:4000',
      'ws://localhost:4000',
      'ws://LOCALHOST',
      'wss://relay.example',
      'wss://10.0.0.5:443/v1/ws',
    ]) {
      expect(refusal(() => websocketUrl(url))).toBeNull();
    }
    expect(httpBaseUrl('wss://relay.example/v1/ws')).toBe('https://relay.example');
    expect(httpBaseUrl('ws://127.0.0.1:4000/v1/ws')).toBe('http://127.0.0.1:4000');
    const local = client(`ws://127.0.0.1:${relay.port}`);
    await local.connect();
    expect((await local.request('server.info', {})).protocolVersion).toBe(1);
    await local.close();
  });
});
