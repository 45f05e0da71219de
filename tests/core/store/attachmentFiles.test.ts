// Attachment files at rest, streamed: written chunk by chunk under a temporary name, decrypted into
// an output path only once the tag verifies, wiped on failure.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedFileBuilder, decryptFileTo, readEncryptedFile } from '../../../core/store/attachmentFiles';
import { kindOf } from '../../helpers/errors';
import { tempDir } from '../../helpers/store/tempProfile';

let dir: string;
let out: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('wisp-attfiles-'));
  out = join(dir, 'out');
  mkdirSync(join(dir, 'attachments'));
  mkdirSync(out);
});
afterEach(() => cleanup());

const folder = () => join(dir, 'attachments');

function build(id: string, pieces: Buffer[]) {
  const builder = new EncryptedFileBuilder(folder(), id);
  for (const piece of pieces) builder.update(piece);
  return builder.finish();
}

describe('attachment files at rest, streamed', () => {
  it('round-trips a file written in pieces, and an empty one, without plaintext on disk', async () => {
    const pieces = [randomBytes(100_000), randomBytes(1), randomBytes(65_536), Buffer.from('MARKER-plain')];
    const file = build('att-1', pieces);
    expect(file.size).toBe(pieces.reduce((n, p) => n + p.length, 0));
    expect(readdirSync(folder())).toEqual([file.name]);
    expect(readFileSync(join(folder(), file.name)).includes('MARKER-plain')).toBe(false);

    await decryptFileTo(folder(), file.name, 'att-1', file.key, join(out, 'a.bin'));
    expect(readFileSync(join(out, 'a.bin')).equals(Buffer.concat(pieces))).toBe(true);
    expect(readEncryptedFile(folder(), file.name, 'att-1', file.key).equals(Buffer.concat(pieces))).toBe(
      true,
    );

    const empty = build('att-2', []);
    await decryptFileTo(folder(), empty.name, 'att-2', empty.key, join(out, 'empty.bin'));
    expect(readFileSync(join(out, 'empty.bin')).length).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['a.bin', 'empty.bin']);
  });

  it('refuses a tampered file, the wrong attachment id or key, and leaves the output untouched', async () => {
    const file = build('att', [randomBytes(200_000)]);
    writeFileSync(join(out, 'keep.bin'), 'previous content');
    const path = join(folder(), file.name);
    const bytes = readFileSync(path);
    bytes[100_000] = (bytes[100_000] ?? 0) ^ 1;
    writeFileSync(join(folder(), 'tampered'), bytes);

    expect(await kindOf(decryptFileTo(folder(), 'tampered', 'att', file.key, join(out, 'keep.bin')))).toBe(
      'DatabaseCorrupt',
    );
    expect(await kindOf(decryptFileTo(folder(), file.name, 'other', file.key, join(out, 'keep.bin')))).toBe(
      'DatabaseCorrupt',
    );
    expect(
      await kindOf(decryptFileTo(folder(), file.name, 'att', randomBytes(32), join(out, 'keep.bin'))),
    ).toBe('DatabaseCorrupt');
    expect(await kindOf(decryptFileTo(folder(), 'missing', 'att', file.key, join(out, 'x.bin')))).toBe(
      'NotFound',
    );
    // Nothing written over the existing file, and no partial file left beside it.
    expect(readFileSync(join(out, 'keep.bin'), 'utf8')).toBe('previous content');
    expect(readdirSync(out)).toEqual(['keep.bin']);
  });

  it('abort wipes what was written so far; nothing under a real name appears before finish', () => {
    const builder = new EncryptedFileBuilder(folder(), 'att');
    builder.update(randomBytes(10_000));
    const [temp] = readdirSync(folder());
    expect(temp).toMatch(/\.tmp$/);
    builder.abort();
    builder.abort();
    expect(readdirSync(folder())).toEqual([]);
    expect(existsSync(join(folder(), temp!))).toBe(false);
    expect(() => builder.update(Buffer.from('late'))).toThrow();
  });
});
