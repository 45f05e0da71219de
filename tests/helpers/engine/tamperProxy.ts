// A WebSocket man-in-the-middle between a client and the real relay, for tests: forwards every
// frame unchanged, except that on request it flips one byte inside the next pushed envelope, or
// loses the client's acknowledgements (the relay never sees them; the client gets the error a
// relay that could not be reached answers with), or rewrites the relay's answers to one operation
// (a lying relay).
import { WebSocket, WebSocketServer, type RawData } from 'ws';

export interface TamperProxy {
  url: string;
  /** The next envelope pushed to a client is corrupted in transit. */
  tamperNextEnvelope(): void;
  /** How many envelopes were corrupted. */
  readonly tampered: number;
  /** From now on the client's `message.ack` requests never reach the relay; the client is told they failed. */
  loseAcks(): void;
  /** How many acknowledgements were lost. */
  readonly acksLost: number;
  /** From now on the relay's successful answers to `op` reach the client as `rewrite(body)`. */
  rewriteReplies(op: string, rewrite: (body: Record<string, unknown>) => Record<string, unknown>): void;
  /** How many answers were rewritten. */
  readonly rewritten: number;
  /** Every client → relay frame, as sent. */
  readonly clientFrames: string[];
  close(): Promise<void>;
}

function text(data: RawData): string {
  return Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
}

export async function startTamperProxy(relayUrl: string): Promise<TamperProxy> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let armed = false;
  let tampered = 0;
  let loseAck = false;
  let acksLost = 0;
  let rewritten = 0;
  const rewrites = new Map<string, (body: Record<string, unknown>) => Record<string, unknown>>();
  const clientFrames: string[] = [];
  const sockets = new Set<WebSocket>();

  server.on('connection', (client) => {
    const upstream = new WebSocket(relayUrl);
    // Request id → operation, for the requests whose answers are rewritten.
    const pending = new Map<number, string>();
    sockets.add(client);
    sockets.add(upstream);
    const early: RawData[] = [];
    client.on('message', (data) => {
      clientFrames.push(text(data));
      if (rewrites.size > 0) {
        const frame = JSON.parse(text(data)) as { id?: number; op?: string };
        if (frame.op !== undefined && frame.id !== undefined && rewrites.has(frame.op))
          pending.set(frame.id, frame.op);
      }
      if (loseAck) {
        const frame = JSON.parse(text(data)) as { id?: number; op?: string };
        if (frame.op === 'message.ack') {
          acksLost += 1;
          const error = { kind: 'RelayUnavailable', message: 'lost in transit (test proxy)' };
          client.send(JSON.stringify({ id: frame.id, ok: false, error }));
          return;
        }
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text(data));
      else early.push(data);
    });
    upstream.on('open', () => {
      for (const d of early.splice(0)) upstream.send(text(d));
    });
    upstream.on('message', (data) => {
      let frameText = text(data);
      if (pending.size > 0) {
        const frame = JSON.parse(frameText) as { id?: number; ok?: boolean; body?: Record<string, unknown> };
        const op = frame.id === undefined ? undefined : pending.get(frame.id);
        if (op !== undefined) {
          pending.delete(frame.id!);
          const rewrite = rewrites.get(op);
          if (rewrite && frame.ok === true && frame.body) {
            frame.body = rewrite(frame.body);
            frameText = JSON.stringify(frame);
            rewritten += 1;
          }
        }
      }
      if (armed) {
        const frame = JSON.parse(frameText) as { push?: string; body?: { payload?: string } };
        if (frame.push === 'envelope' && frame.body?.payload) {
          const bytes = Buffer.from(frame.body.payload, 'base64');
          const at = Math.floor(bytes.length / 2);
          bytes[at] = (bytes[at] ?? 0) ^ 0x01;
          frame.body.payload = bytes.toString('base64');
          frameText = JSON.stringify(frame);
          armed = false;
          tampered += 1;
        }
      }
      client.send(frameText);
    });
    const closeBoth = (): void => {
      client.close();
      upstream.close();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/v1/ws`,
    tamperNextEnvelope: () => {
      armed = true;
    },
    get tampered() {
      return tampered;
    },
    loseAcks: () => {
      loseAck = true;
    },
    get acksLost() {
      return acksLost;
    },
    rewriteReplies: (op, rewrite) => {
      rewrites.set(op, rewrite);
    },
    get rewritten() {
      return rewritten;
    },
    clientFrames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        server.close(() => resolve());
      }),
  };
}
