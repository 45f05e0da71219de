// The age layer against every applicable C2SP CCTV vector (npm `cctv-age`): decrypt outcome per
// the vector's `expect`, the hash of whatever plaintext was released, and header round trips.
// Not applicable here: armored files (backups are binary) and ML-KEM hybrid identities.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as vectors from 'cctv-age';
import { describe, expect, it } from 'vitest';
import { decrypt, isAgeError, parseIdentity } from '../../../core/backup/age';
import type { AgeFailure, Identity } from '../../../core/backup/age';
import { ByteReader } from '../../../core/backup/age/byteReader';
import { encodeStanza, readHeader, versionLine } from '../../../core/backup/age/header';

interface Vector {
  name: string;
  expect: string;
  payload: string | undefined;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  file: Buffer;
}

function parseVector(name: string, bytes: Uint8Array): Vector {
  const all = Buffer.from(bytes);
  const split = all.indexOf('\n\n');
  const fields = all.subarray(0, split).toString('utf8').split('\n');
  const values = (key: string) =>
    fields.filter((f) => f.startsWith(`${key}: `)).map((f) => f.slice(key.length + 2));
  let file = all.subarray(split + 2);
  if (values('compressed')[0] === 'zlib') file = inflateSync(file);
  return {
    name,
    expect: values('expect')[0]!,
    payload: values('payload')[0],
    identities: values('identity'),
    passphrases: values('passphrase'),
    armored: values('armored')[0] === 'yes',
    file,
  };
}

const all = Object.entries(vectors as Record<string, Uint8Array>)
  .filter(([name]) => name !== 'default')
  .map(([name, bytes]) => parseVector(name, bytes));
const applicable = all.filter(
  (v) => !v.armored && !v.identities.some((id) => id.startsWith('AGE-SECRET-KEY-PQ-')),
);

/** Which of our failure kinds each `expect` of the test kit allows. */
const allowed: Record<string, AgeFailure[]> = {
  'header failure': ['NotAge', 'UnsupportedVersion', 'Header'],
  'no match': ['NoMatch'],
  'HMAC failure': ['Hmac'],
  'payload failure': ['Payload', 'Truncated'],
};

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  // Odd-sized pieces, so header lines and chunks straddle source chunks.
  for (let i = 0; i < bytes.length; i += 7001) yield bytes.subarray(i, i + 7001);
}

describe('age layer against the C2SP CCTV test kit', () => {
  it('has a large set of applicable vectors (the package layout is what this test expects)', () => {
    expect(all.length).toBeGreaterThan(130);
    expect(applicable.length).toBeGreaterThan(90);
    expect(new Set(applicable.map((v) => v.expect))).toEqual(
      new Set(['success', 'header failure', 'no match', 'HMAC failure', 'payload failure']),
    );
  });

  for (const vector of applicable) {
    it(`${vector.name}: ${vector.expect}`, async () => {
      const identities: Identity[] = [
        ...vector.identities.map(parseIdentity),
        ...vector.passphrases.map((passphrase): Identity => ({ kind: 'scrypt', passphrase })),
      ];
      const hash = createHash('sha256');
      let failure: unknown = null;
      try {
        for await (const chunk of decrypt(once(vector.file), identities)) hash.update(chunk);
      } catch (error) {
        failure = error;
      }
      if (vector.expect === 'success') {
        expect(failure).toBeNull();
      } else {
        if (!isAgeError(failure)) throw failure as Error;
        expect(allowed[vector.expect]).toContain(failure.failure);
      }
      if (vector.expect === 'success' || vector.expect === 'payload failure') {
        expect(hash.digest('hex')).toBe(vector.payload);
      }
    });
  }

  const parsable = applicable.filter((v) => v.expect !== 'header failure');
  it.each(parsable.map((v) => [v.name, v] as const))(
    '%s: header re-encodes to the bytes it was read from',
    async (_name, vector) => {
      const header = await readHeader(new ByteReader(once(vector.file)));
      const encoded = `${versionLine}\n${header.stanzas.map(encodeStanza).join('')}---`;
      expect(Buffer.from(encoded, 'latin1').equals(header.macInput)).toBe(true);
      expect(vector.file.subarray(0, header.macInput.length).equals(header.macInput)).toBe(true);
    },
  );
});
