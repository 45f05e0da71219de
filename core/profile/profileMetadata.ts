// The small non-secret file beside the database: profile id, which key store holds the key, and the
// sealed key (a keychain entry name or ciphertext). Written atomically so a crash never leaves half a file.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WispError } from '../../common/errors';
import type { SealedKey } from '../vault/keyStore';

export const METADATA_FILE = 'profile.json';

const sealedKeySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keychain'), service: z.string().min(1), account: z.string().min(1) }),
  z.object({ kind: z.literal('safeStorage'), blob: z.string().min(1) }),
  z.object({
    kind: z.literal('passphrase'),
    version: z.literal(1),
    kdf: z.object({
      name: z.literal('scrypt'),
      salt: z.string(),
      N: z.number().int(),
      r: z.number().int(),
      p: z.number().int(),
    }),
    cipher: z.literal('aes-256-gcm'),
    nonce: z.string(),
    ciphertext: z.string(),
    tag: z.string(),
  }),
]);

const metadataSchema = z.object({
  format: z.literal(1),
  profileId: z.string().uuid(),
  createdAt: z.number().int(),
  key: sealedKeySchema,
  /** Set only while a rekey is in flight: the new key is sealed before the database is rewritten. */
  pendingKey: sealedKeySchema.optional(),
});

export type ProfileMetadata = z.infer<typeof metadataSchema>;
// The schema must describe exactly the SealedKey union of the vault.
const _sameShape: SealedKey extends ProfileMetadata['key']
  ? ProfileMetadata['key'] extends SealedKey
    ? true
    : false
  : false = true;
void _sameShape;

export function readMetadata(dir: string): ProfileMetadata {
  let text: string;
  try {
    text = readFileSync(join(dir, METADATA_FILE), 'utf8');
  } catch (cause) {
    throw new WispError('ProfileNotFound', 'this folder is not a Wisp profile', {
      cause,
      recovery: 'Check --profile, or run `wisp init` to create a profile there.',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new WispError('DatabaseCorrupt', 'the profile metadata file is damaged', { cause });
  }
  const result = metadataSchema.safeParse(parsed);
  if (!result.success) throw new WispError('DatabaseCorrupt', 'the profile metadata file is damaged');
  return result.data;
}

export function writeMetadata(dir: string, metadata: ProfileMetadata): void {
  const final = join(dir, METADATA_FILE);
  const temp = `${final}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(metadata, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, final);
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the rename is still atomic there.
  }
}
