// The pure pieces under the engine: content encoding (padding, schema validation) and the relay
// client's reconnect backoff. No relay or profile needed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent, type Content } from '../../../common/content';
import { backoffDelay, httpBaseUrl, websocketUrl } from '../../../core/relayClient/relayClient';

const text = (body: string): Content => ({
  v: 1,
  type: 'text',
  id: randomUUID(),
  sentAt: 1_700_000_000_000,
  roomId: null,
  text: body,
  expireAfterMs: 60_000,
  burnAfterMs: 10_000,
  attachments: [],
});

describe('content codec', () => {
  it('round-trips content and pads it to a multiple of 160 bytes, so length leaks only a bucket', () => {
    const short = encodeContent(text('hi'));
    const longer = encodeContent(text('hello there'));
    expect(short.length % 160).toBe(0);
    expect(short.length).toBe(longer.length);
    const original = text('round trip');
    expect(decodeContent(encodeContent(original))).toEqual(original);
  });

  it('rejects bytes without the padding marker, unknown types and out-of-range timers', () => {
    expect(() => decodeContent(new Uint8Array(160))).toThrow(/padding/);
    const bad = new TextEncoder().encode(JSON.stringify({ ...text('x'), type: 'mystery' }));
    const padded = new Uint8Array(320);
    padded.set(bad);
    padded[bad.length] = 0x80;
    expect(() => decodeContent(padded)).toThrow(/schema/);
    expect(() => encodeContent({ ...text('x'), burnAfterMs: 10 } as Content)).toThrow();
  });
});

describe('relay client addressing and backoff', () => {
  it('adds the WebSocket path to a bare relay address and derives the HTTP base', () => {
    expect(websocketUrl('ws://127.0.0.1:4000')).toBe('ws://127.0.0.1:4000/v1/ws');
    expect(websocketUrl('wss://relay.example/custom')).toBe('wss://relay.example/custom');
    expect(httpBaseUrl('wss://relay.example:443/v1/ws')).toBe('https://relay.example');
    expect(() => websocketUrl('http://relay.example')).toThrow(/ws:\/\//);
  });

  it('backs off exponentially with full jitter, never below a tenth of the ceiling nor above the cap', () => {
    expect(backoffDelay(0, 250, 30_000, () => 0)).toBe(25);
    expect(backoffDelay(0, 250, 30_000, () => 1)).toBe(250);
    expect(backoffDelay(3, 250, 30_000, () => 1)).toBe(2_000);
    expect(backoffDelay(50, 250, 30_000, () => 1)).toBe(30_000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4, 250, 30_000)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
