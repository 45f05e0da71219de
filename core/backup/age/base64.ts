// age's base64: the standard alphabet without padding, and only the canonical encoding accepted
// (a lenient decoder would let two different headers carry the same MAC input).
import { AgeError } from './errors';

const alphabet = /^[A-Za-z0-9+/]*$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

export function decodeBase64(text: string, what: string): Buffer {
  if (!alphabet.test(text) || text.length % 4 === 1)
    throw new AgeError('Header', `${what}: not unpadded base64`);
  const bytes = Buffer.from(text, 'base64');
  if (encodeBase64(bytes) !== text) throw new AgeError('Header', `${what}: base64 is not canonical`);
  return bytes;
}
