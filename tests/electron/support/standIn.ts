// Stand-ins for what these machines cannot download (TOOLCHAIN.md, "The one hard limit"): an
// executable that records how it was launched, a copy of the electron package that may fetch into a
// temp folder, a release zip and a loopback mirror serving it the way GitHub's releases do.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';

export const repo = resolve(import.meta.dirname, '../../..');
export const electronVersion: string = JSON.parse(
  readFileSync(join(repo, 'node_modules/electron/package.json'), 'utf8'),
).version;

export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A shell script that writes its working directory, then each argument, one per line, to
 * `recordFile`, and exits with `exitCode`. It stands where the Electron executable would.
 */
export function standInScript(recordFile: string, exitCode = 0): string {
  return [
    '#!/bin/sh',
    `{ pwd; for arg in "$@"; do printf '%s\\n' "$arg"; done; } > '${recordFile}'`,
    `exit ${exitCode}`,
    '',
  ].join('\n');
}

export function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/**
 * A copy of the installed electron package under `root/node_modules/electron`, with no binary, whose
 * own dependencies (@electron/get, the zip extractor) resolve to the installed ones.
 */
export function electronPackageCopy(root: string): string {
  const modules = join(root, 'node_modules');
  const target = join(modules, 'electron');
  const source = join(repo, 'node_modules/electron');
  mkdirSync(target, { recursive: true });
  for (const file of ['package.json', 'index.js', 'install.js', 'checksums.json', 'cli.js']) {
    cpSync(join(source, file), join(target, file));
  }
  for (const dep of ['@electron/get', '@electron-internal/extract-zip']) {
    mkdirSync(join(modules, dep, '..'), { recursive: true });
    symlinkSync(join(repo, 'node_modules', dep), join(modules, dep), 'dir');
  }
  return target;
}

/** A zip of `files` (stored, not deflated), with unix modes, as Electron's release zips are. */
export function storedZip(files: { name: string; data: Buffer; mode: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.data.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix, so the external attributes hold a mode
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.data.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | file.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.data);
    centrals.push(central, name);
    offset += local.length + name.length + file.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Serves `files` (path → body) on 127.0.0.1 at a random port, as an Electron release mirror does:
 * `${mirror}v${version}/electron-v${version}-linux-x64.zip` and its SHASUMS256.txt.
 */
export async function mirrorServing(files: Record<string, Buffer>): Promise<{
  url: string;
  requests: string[];
  close: () => Promise<void>;
}> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const body = files[path];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mirror has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** The release files a mirror holds for one platform's Electron zip, checksums included. */
export function releaseFiles(zip: Buffer, platform = 'linux', arch = 'x64'): Record<string, Buffer> {
  const name = `electron-v${electronVersion}-${platform}-${arch}.zip`;
  const sum = createHash('sha256').update(zip).digest('hex');
  return {
    [`/v${electronVersion}/${name}`]: zip,
    [`/v${electronVersion}/SHASUMS256.txt`]: Buffer.from(`${sum} *${name}\n`),
  };
}

/** A port nothing listens on: bound, read, then closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
