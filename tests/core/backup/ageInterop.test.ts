// The age layer against Debian's `age` CLI, both directions, with a passphrase (scrypt) and with an
// X25519 identity file; plus our own round trips at the STREAM chunk edges.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chunkSize,
  decrypt,
  encodeIdentity,
  encodeRecipient,
  encrypt,
  generateX25519SecretKey,
  isAgeError,
  parseIdentityFile,
  parseRecipient,
  x25519PublicKey,
} from '../../../core/backup/age';
import type { Identity, Recipient } from '../../../core/backup/age';
import { runAge, runAgeWithPassphrase } from '../../helpers/backup/ageCli';

const dir = mkdtempSync(join(tmpdir(), 'wisp-age-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function* pieces(bytes: Buffer, size = 10_000): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const encryptBytes = (plain: Buffer, recipients: Recipient[]) => collect(encrypt(pieces(plain), recipients));
const decryptBytes = (file: Buffer, identities: Identity[]) => collect(decrypt(pieces(file), identities));

describe('age layer interop with the age CLI', () => {
  const plain = randomBytes(3 * chunkSize + 1234);
  const passphrase = 'correct horse battery staple';

  it('age -d opens a file we encrypted with a passphrase', async () => {
    writeFileSync(join(dir, 'ours-p.age'), await encryptBytes(plain, [{ kind: 'scrypt', passphrase }]));
    const result = await runAgeWithPassphrase(
      ['-d', '-o', join(dir, 'ours-p.out'), join(dir, 'ours-p.age')],
      passphrase,
    );
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'ours-p.out')).equals(plain)).toBe(true);
  });

  it('we open a file age -p encrypted, and refuse it with another passphrase', async () => {
    writeFileSync(join(dir, 'plain'), plain);
    const result = await runAgeWithPassphrase(
      ['-p', '-o', join(dir, 'theirs-p.age'), join(dir, 'plain')],
      passphrase,
    );
    expect(result.code).toBe(0);
    const file = readFileSync(join(dir, 'theirs-p.age'));
    expect((await decryptBytes(file, [{ kind: 'scrypt', passphrase }])).equals(plain)).toBe(true);
    const wrong = await decryptBytes(file, [{ kind: 'scrypt', passphrase: 'wrong' }]).catch(
      (e: unknown) => e,
    );
    expect(isAgeError(wrong, 'NoMatch')).toBe(true);
  });

  it('age -d -i opens a file we encrypted to an X25519 recipient, and age -r files open here', async () => {
    const secret = generateX25519SecretKey();
    const identityText = `# created by the test\n${encodeIdentity(secret)}\n`;
    writeFileSync(join(dir, 'key.txt'), identityText);
    const recipient = parseRecipient(encodeRecipient(x25519PublicKey(secret)));
    writeFileSync(join(dir, 'ours-x.age'), await encryptBytes(plain, [recipient]));
    const opened = await runAge([
      '-d',
      '-i',
      join(dir, 'key.txt'),
      '-o',
      join(dir, 'ours-x.out'),
      join(dir, 'ours-x.age'),
    ]);
    expect(opened.code).toBe(0);
    expect(readFileSync(join(dir, 'ours-x.out')).equals(plain)).toBe(true);

    const made = await runAge([
      '-r',
      encodeRecipient(x25519PublicKey(secret)),
      '-o',
      join(dir, 'theirs-x.age'),
      join(dir, 'plain'),
    ]);
    expect(made.code).toBe(0);
    const back = await decryptBytes(readFileSync(join(dir, 'theirs-x.age')), parseIdentityFile(identityText));
    expect(back.equals(plain)).toBe(true);
  });

  it('our identity and recipient strings are the ones age-keygen derives', () => {
    const secret = generateX25519SecretKey();
    writeFileSync(join(dir, 'k2.txt'), `${encodeIdentity(secret)}\n`);
    const derived = execFileSync('age-keygen', ['-y', join(dir, 'k2.txt')], { encoding: 'utf8' }).trim();
    expect(derived).toBe(encodeRecipient(x25519PublicKey(secret)));
  });
});

describe('age layer round trips at STREAM edges', () => {
  const secret = generateX25519SecretKey();
  const recipients: Recipient[] = [{ kind: 'x25519', publicKey: x25519PublicKey(secret) }];
  const identities: Identity[] = [{ kind: 'x25519', secretKey: secret }];

  for (const size of [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 2 * chunkSize + 7]) {
    it(`round-trips ${size} bytes, and the file size is exactly header + nonce + chunks`, async () => {
      const plain = randomBytes(size);
      const file = await encryptBytes(plain, recipients);
      const chunks = Math.max(1, Math.ceil(size / chunkSize));
      const headerLength = file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
      expect(file.length).toBe(headerLength + 16 + size + 16 * chunks);
      expect((await decryptBytes(file, identities)).equals(plain)).toBe(true);
    });
  }

  it('refuses a file cut at a chunk boundary as Truncated and a flipped payload bit as Payload', async () => {
    const plain = randomBytes(3 * chunkSize + 10);
    const file = await encryptBytes(plain, recipients);
    const headerLength = file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
    const cut = file.subarray(0, headerLength + 16 + 2 * (chunkSize + 16));
    expect(isAgeError(await decryptBytes(cut, identities).catch((e: unknown) => e), 'Truncated')).toBe(true);
    const flipped = Buffer.from(file);
    flipped[headerLength + 16 + 100]! ^= 1;
    expect(isAgeError(await decryptBytes(flipped, identities).catch((e: unknown) => e), 'Payload')).toBe(
      true,
    );
    const headerFlip = Buffer.from(file);
    headerFlip[headerLength - 5]! ^= 1;
    const headerError = await decryptBytes(headerFlip, identities).catch((e: unknown) => e);
    expect(isAgeError(headerError, 'Hmac') || isAgeError(headerError, 'Header')).toBe(true);
  });
});

describe('age layer on worker threads (streams past 4 MiB)', () => {
  const secret = generateX25519SecretKey();
  const recipients: Recipient[] = [{ kind: 'x25519', publicKey: x25519PublicKey(secret) }];
  const identities: Identity[] = [{ kind: 'x25519', secretKey: secret }];
  const size = 20 * chunkSize * 16 + 12345; // 20 runs of 16 chunks and a short final chunk
  const plain = randomBytes(size);

  it('round-trips a 20 MiB stream, and the age CLI opens it and makes one we open', async () => {
    const file = await encryptBytes(plain, recipients);
    expect((await decryptBytes(file, identities)).equals(plain)).toBe(true);
    writeFileSync(join(dir, 'big-key.txt'), `${encodeIdentity(secret)}\n`);
    writeFileSync(join(dir, 'big.age'), file);
    const opened = await runAge([
      '-d',
      '-i',
      join(dir, 'big-key.txt'),
      '-o',
      join(dir, 'big.out'),
      join(dir, 'big.age'),
    ]);
    expect(opened.code).toBe(0);
    expect(readFileSync(join(dir, 'big.out')).equals(plain)).toBe(true);
    writeFileSync(join(dir, 'big.plain'), plain);
    const recipient = encodeRecipient(x25519PublicKey(secret));
    expect(
      (await runAge(['-r', recipient, '-o', join(dir, 'big-cli.age'), join(dir, 'big.plain')])).code,
    ).toBe(0);
    expect((await decryptBytes(readFileSync(join(dir, 'big-cli.age')), identities)).equals(plain)).toBe(true);
  });

  it('releases exactly the chunks before a flipped bit deep in the stream, then refuses it', async () => {
    const file = await encryptBytes(plain, recipients);
    const headerLength = file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
    const badChunk = 200; // inside a run handled by a worker
    const flipped = Buffer.from(file);
    flipped[headerLength + 16 + badChunk * (chunkSize + 16) + 7]! ^= 1;
    const released: Buffer[] = [];
    const error = await (async () => {
      for await (const part of decrypt(pieces(flipped, 1 << 20), identities)) released.push(part);
    })().catch((e: unknown) => e);
    expect(isAgeError(error, 'Payload')).toBe(true);
    expect(Buffer.concat(released).equals(plain.subarray(0, badChunk * chunkSize))).toBe(true);
  });

  it('refuses a 20 MiB stream cut at a chunk boundary as Truncated', async () => {
    const file = await encryptBytes(plain, recipients);
    const headerLength = file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
    const cut = file.subarray(0, headerLength + 16 + 150 * (chunkSize + 16));
    expect(isAgeError(await decryptBytes(cut, identities).catch((e: unknown) => e), 'Truncated')).toBe(true);
  });
});
