// Encodes content to the bytes that get encrypted, with padding so ciphertext length leaks only
// a size bucket; decodes and validates what came out of decryption.
import { WispError } from '../errors';
import { Content } from './schemas';

const PAD_BLOCK = 160;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON, then a 0x80 marker, then zeros up to a multiple of PAD_BLOCK (Signal's padding scheme). */
export function encodeContent(content: Content): Uint8Array<ArrayBuffer> {
  const json = encoder.encode(JSON.stringify(Content.parse(content)));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  padded.set(json, 0);
  padded[json.length] = 0x80;
  return padded;
}

export function decodeContent(bytes: Uint8Array): Content {
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end -= 1;
  if (end < 0 || bytes[end] !== 0x80) {
    throw new WispError('DecryptionFailed', 'content padding is malformed');
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  } catch (cause) {
    throw new WispError('DecryptionFailed', 'content is not valid JSON', { cause });
  }
  const parsed = Content.safeParse(value);
  if (!parsed.success) {
    throw new WispError('DecryptionFailed', 'content does not match any known schema');
  }
  return parsed.data;
}
