// age v1 (age-encryption.org/v1) on Node's own crypto, streaming both ways. Files it writes open
// with the `age` CLI and files the CLI writes open here (X25519 and scrypt recipients, no armor).
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ByteReader, type RecyclingSource } from './byteReader';
import { AgeError } from './errors';
import { encodeHeader, hkdf, readHeader, verifyMac } from './header';
import type { Stanza } from './header';
import { unwrap, wrap } from './recipients';
import type { Identity, Recipient } from './recipients';
import { FileChunks } from './fileChunks';
import { decryptFileStream, decryptStream, encryptStream } from './stream';

export { AgeError, isAgeError } from './errors';
export type { AgeFailure } from './errors';
export {
  defaultScryptWorkFactor,
  encodeIdentity,
  encodeRecipient,
  generateX25519SecretKey,
  parseIdentity,
  parseIdentityFile,
  parseRecipient,
  x25519PublicKey,
} from './recipients';
export type { Identity, Recipient } from './recipients';
export { chunkSize } from './stream';

/**
 * Encrypts `source` to every recipient; yields the header first, then STREAM chunks. A caller
 * that passes `recycler` may hand a yielded buffer's memory to `recycler.giveBack` once it has
 * written it (and never touch it again): a worker then seals into it instead of a fresh MiB.
 */
export async function* encrypt(
  source: AsyncIterable<Uint8Array>,
  recipients: readonly Recipient[],
  recycler?: { giveBack: ((memory: ArrayBufferLike) => void) | null },
): AsyncGenerator<Buffer> {
  if (recipients.length === 0) throw new RangeError('age: at least one recipient is needed');
  if (recipients.some((r) => r.kind === 'scrypt') && recipients.length !== 1) {
    throw new RangeError('age: a passphrase must be the only recipient');
  }
  const fileKey = randomBytes(16);
  const stanzas: Stanza[] = [];
  for (const recipient of recipients) stanzas.push(await wrap(fileKey, recipient));
  const nonce = randomBytes(16);
  yield encodeHeader(fileKey, stanzas);
  yield nonce;
  yield* encryptStream(hkdf(fileKey, nonce, 'payload'), source, recycler);
}

/**
 * Decrypts an age file. The header is read and checked (an AgeError) before the first plaintext
 * chunk is yielded; each chunk is yielded only once authenticated.
 */
export async function* decrypt(
  source: AsyncIterable<Uint8Array>,
  identities: readonly Identity[],
): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source);
  try {
    const header = await readHeader(reader);
    const fileKey = await unwrap(header.stanzas, identities);
    verifyMac(fileKey, header);
    if ((await reader.fill(16)) < 16) {
      throw new AgeError('Header', 'file ends inside its payload nonce');
    }
    const nonce = Buffer.from(reader.take(16));
    yield* decryptStream(hkdf(fileKey, nonce, 'payload'), reader);
  } finally {
    await reader.close();
  }
}

/**
 * `decrypt` for a file on disk, faster for a large one: past the header the worker threads read
 * and open the payload themselves (ChunkRunner.openFile) instead of this thread reading it and
 * handing it over. The same checks and failures as `decrypt`; `onRead` counts the file's bytes.
 * It is a RecyclingSource: a ByteReader over it gives the plaintext buffers back to the workers
 * to fill again, so its views are valid only until the reader's next `fill`.
 */
export function decryptFile(
  path: string,
  identities: readonly Identity[],
  onRead?: (bytes: number) => void,
): RecyclingSource & AsyncIterable<Buffer> {
  const recycler: { giveBack: ((memory: ArrayBufferLike) => void) | null } = { giveBack: null };
  return {
    [Symbol.asyncIterator]: () => decryptFileChunks(path, identities, recycler, onRead),
    release: (memory) => recycler.giveBack?.(memory),
  };
}

async function* decryptFileChunks(
  path: string,
  identities: readonly Identity[],
  recycler: { giveBack: ((memory: ArrayBufferLike) => void) | null },
  onRead?: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  // Progress is how far into the file reading has reached (the workers read again what the
  // header's reader had buffered past the nonce, which is not counted twice).
  let reached = 0;
  const reach = (offset: number): void => {
    if (offset > reached) onRead?.(offset - reached);
    reached = Math.max(reached, offset);
  };
  try {
    const size = (await handle.stat()).size;
    const chunks: FileChunks = new FileChunks(handle, 0, () => reach(chunks.position));
    const reader = new ByteReader(chunks);
    const header = await readHeader(reader);
    const fileKey = await unwrap(header.stanzas, identities);
    verifyMac(fileKey, header);
    if ((await reader.fill(16)) < 16) {
      throw new AgeError('Header', 'file ends inside its payload nonce');
    }
    const nonce = Buffer.from(reader.take(16));
    const payloadStart = chunks.position - reader.length;
    yield* decryptFileStream(
      hkdf(fileKey, nonce, 'payload'),
      { handle, size, payloadStart, reader },
      reach,
      recycler,
    );
  } finally {
    await handle.close();
  }
}
