// HTTP timeouts (issue 9, finding 5): an upload whose body stalls, or that trickles in forever,
// must not hold its connection (and its upload slot) open. Timeouts are configured short here;
// the tests only wait for the relay to close the socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    port: 0,
    logger: false,
    limits: { httpIdleTimeoutMs: 300, httpRequestTimeoutMs: 1500 },
  });
});
afterAll(async () => {
  await relay.close();
});

/** Opens a raw TCP connection and sends the head of a PUT that promises `length` body bytes. */
async function startPut(
  path: string,
  token: string,
  length: number,
): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(relay.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  socket.write(
    `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`,
  );
  return { socket, closed };
}

describe('http timeouts', () => {
  it('cuts off an upload whose body stalls mid-way, and the attachment is not served', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 1_000_000 });
    const { socket, closed } = await startPut(created.uploadPath, created.uploadToken, 1_000_000);
    socket.write(Buffer.alloc(10_000));
    await closed;
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(404);
    await a.client.close();
  });

  it('cuts off an upload that keeps trickling bytes past the request timeout', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 1_000_000 });
    const { socket, closed } = await startPut(created.uploadPath, created.uploadToken, 1_000_000);
    // Never idle long enough for the idle timeout: only the whole-request deadline can end it.
    const drip = setInterval(() => socket.write(Buffer.alloc(1)), 50);
    await closed;
    clearInterval(drip);
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(404);
    await a.client.close();
  });

  it('leaves a WebSocket connection open past the HTTP idle and request timeouts', async () => {
    const a = await SignalUser.register(relay.url);
    // Past both the 300 ms idle and the 1500 ms request timeout, yet the op connection answers.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await a.client.call('server.info', {})).protocolVersion).toBeGreaterThan(0);
    await a.client.close();
  });
});
