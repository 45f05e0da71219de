// The age v1 header: version line, recipient stanzas, MAC line. Parsing is strict (canonical base64,
// LF only, 64-column bodies) because the MAC covers the bytes as read.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64';
import type { ByteReader } from './byteReader';
import { AgeError } from './errors';

export const versionLine = 'age-encryption.org/v1';
const maxHeaderBytes = 1 << 20;

export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Buffer;
}

export interface ParsedHeader {
  readonly stanzas: readonly Stanza[];
  /** The header bytes up to and including "---", the MAC's input. */
  readonly macInput: Buffer;
  readonly mac: Buffer;
}

function isArgument(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

async function nextLine(reader: ByteReader, consumed: { bytes: number }): Promise<string> {
  let line: Buffer | null;
  try {
    line = await reader.line(maxHeaderBytes - consumed.bytes);
  } catch {
    throw new AgeError('Header', 'header is too large');
  }
  if (line === null) throw new AgeError('Header', 'file ends inside its header');
  consumed.bytes += line.length + 1;
  if (consumed.bytes > maxHeaderBytes) throw new AgeError('Header', 'header is too large');
  return line.toString('latin1');
}

export async function readHeader(reader: ByteReader): Promise<ParsedHeader> {
  const consumed = { bytes: 0 };
  const raw: string[] = [];
  let first: Buffer | null;
  try {
    first = await reader.line(64);
  } catch {
    first = null;
  }
  const firstText = first?.toString('latin1');
  if (firstText === undefined || !firstText.startsWith('age-encryption.org/')) {
    throw new AgeError('NotAge', 'not an age file');
  }
  if (firstText !== versionLine) throw new AgeError('UnsupportedVersion', 'unsupported age version');
  consumed.bytes += first!.length + 1;
  raw.push(`${firstText}\n`);

  const stanzas: Stanza[] = [];
  for (;;) {
    const line = await nextLine(reader, consumed);
    if (line.startsWith('-> ')) {
      const args = line.slice(3).split(' ');
      if (!args.every(isArgument)) throw new AgeError('Header', 'malformed stanza arguments');
      raw.push(`${line}\n`);
      const bodyParts: Buffer[] = [];
      for (;;) {
        const bodyLine = await nextLine(reader, consumed);
        if (bodyLine.length > 64) throw new AgeError('Header', 'stanza body line is longer than 64 columns');
        bodyParts.push(decodeBase64(bodyLine, 'stanza body'));
        raw.push(`${bodyLine}\n`);
        if (bodyLine.length < 64) break;
      }
      stanzas.push({ type: args[0]!, args: args.slice(1), body: Buffer.concat(bodyParts) });
      continue;
    }
    if (line.startsWith('--- ')) {
      const macText = line.slice(4);
      const mac = decodeBase64(macText, 'header MAC');
      if (mac.length !== 32) throw new AgeError('Header', 'header MAC has the wrong length');
      raw.push('---');
      if (stanzas.length === 0) throw new AgeError('Header', 'header has no recipient stanza');
      return { stanzas, macInput: Buffer.from(raw.join(''), 'latin1'), mac };
    }
    throw new AgeError('Header', 'malformed header line');
  }
}

export function encodeStanza(stanza: Stanza): string {
  const body = encodeBase64(stanza.body);
  const lines: string[] = [];
  for (let i = 0; i < body.length; i += 64) lines.push(body.slice(i, i + 64));
  if (body.length % 64 === 0) lines.push('');
  return `-> ${[stanza.type, ...stanza.args].join(' ')}\n${lines.join('\n')}\n`;
}

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(macInput)
    .digest();
}

/** The full header bytes, MAC line included, for a file key and its stanzas. */
export function encodeHeader(fileKey: Uint8Array, stanzas: readonly Stanza[]): Buffer {
  const macInput = Buffer.from(`${versionLine}\n${stanzas.map(encodeStanza).join('')}---`, 'latin1');
  const mac = headerMac(fileKey, macInput);
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64(mac)}\n`, 'latin1')]);
}

export function verifyMac(fileKey: Uint8Array, header: ParsedHeader): void {
  const expected = headerMac(fileKey, header.macInput);
  if (!timingSafeEqual(expected, header.mac)) throw new AgeError('Hmac', 'header MAC does not match');
}
