// Browser origins (issue 9, finding 6): a web page can open a WebSocket or send a request to any
// loopback port, but a browser always names the page in an Origin header. The relay refuses every
// request that carries one (WebSocket upgrade and HTTP routes alike); Wisp's own clients send none.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelay, type RunningRelay } from '../../relay';
import { RelayClient } from '../../core/relayClient/relayClient';
import { openRawWebSocket } from '../helpers/relay/rawSocket';
import { SignalUser } from '../helpers/relay/signalUser';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

function http(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('browser origins', () => {
  it('refuses a WebSocket upgrade that carries an Origin (403) and accepts the same upgrade without one', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:8080', 'null']) {
      const refused = await openRawWebSocket(relay.url, { Origin: origin });
      expect(refused.status).toBe(403);
      refused.socket.destroy();
    }
    const accepted = await openRawWebSocket(relay.url);
    expect(accepted.status).toBe(101);
    accepted.socket.destroy();
  });

  it('a browser-style ws client with an origin gets no connection at all', async () => {
    const ws = new WebSocket(relay.url, { origin: 'https://evil.example' });
    const status = await new Promise<number | 'open'>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => undefined);
    });
    ws.terminate();
    expect(status).toBe(403);
  });

  it('refuses attachment upload and download requests that carry an Origin, and the refused upload changes nothing', async () => {
    const user = await SignalUser.register(relay.url);
    const blob = Buffer.from('ciphertext bytes of an attachment');
    const created = await user.client.call('attachment.create', { size: blob.length });
    const url = new URL(created.uploadPath, relay.httpUrl).toString();
    const put = (headers: Record<string, string>) =>
      http(
        'PUT',
        url,
        {
          authorization: `Bearer ${created.uploadToken}`,
          'content-type': 'application/octet-stream',
          ...headers,
        },
        blob,
      );

    expect((await put({ origin: 'https://evil.example' })).status).toBe(403);
    // The refused request did not spend the single-use token: the app's own upload still works.
    expect((await put({})).status).toBe(200);
    const refused = await http('GET', url, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain(blob.toString('latin1'));
    expect((await http('GET', url, {})).body).toBe(blob.toString('latin1'));
    expect((await http('GET', `${relay.httpUrl}/healthz`, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    await user.client.close();
  });

  it("the engine's relay client sends no Origin header, so it connects to the relay that refuses them", async () => {
    // What the client puts on its upgrade request, seen by a plain HTTP server.
    const seen = await new Promise<IncomingHttpHeaders>((resolve) => {
      const server = createServer();
      server.on('upgrade', (req, socket) => {
        resolve(req.headers);
        socket.destroy();
        server.close();
      });
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        const probe = new RelayClient({
          url: `ws://127.0.0.1:${port}`,
          accountId: null,
          sign: () => new Uint8Array(64),
          reconnect: false,
        });
        probe.connect().catch(() => undefined);
      });
    });
    expect(seen.upgrade).toBe('websocket');
    expect(seen.origin).toBeUndefined();

    const client = new RelayClient({
      url: relay.url,
      accountId: null,
      sign: () => new Uint8Array(64),
      reconnect: false,
    });
    await client.connect();
    expect((await client.request('server.info', {})).protocolVersion).toBe(1);
    await client.close();
  });
});
