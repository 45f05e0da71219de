// A WebSocket opened by hand over a plain TCP socket, for attacks a well-behaved client library
// would not mount: writing requests in bulk and never reading an answer, or sending an Origin.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Performs the upgrade on `url` (ws://HOST:PORT/PATH); resolves with the status line and the socket. */
export function openRawWebSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; socket: Socket; response: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, socket, response: head.slice(0, end) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('connect', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(
        `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `${extra.join('')}\r\n`,
      );
    });
  });
}

/** One masked client-to-server text frame (payload under 64 KiB). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length >= 65536) throw new Error('frame too large for this helper');
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}
