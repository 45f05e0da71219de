// electron-builder packs the real app (`--dir`, Linux) around a stand-in Electron folder — an
// executable carrying Electron's fuse wire, since no Electron can be downloaded here — and the
// result is opened with @electron/asar: everything the app loads is inside, nothing else is, the
// native modules for this platform are unpacked, and the fuses are flipped in the packaged binary.
// Skipped step: rebuilding native modules for Electron's ABI (npmRebuild) needs Electron's headers
// from the network; it runs in a real `npm run dist`, and is switched off here (the suite says so).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, scratch, writeExecutable } from './support/standIn';

// @electron/asar comes with electron-builder (app-builder-lib pins it); it is not a direct dependency.
const asar = createRequire(join(repo, 'node_modules/app-builder-lib/package.json'))('@electron/asar') as {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  statFile(archive: string, file: string): { unpacked?: boolean; files?: unknown };
  extractAll(archive: string, dest: string): void;
};

const supported = process.platform === 'linux' && process.arch === 'x64';
const SKIPPED_STEP = 'native rebuild for Electron’s ABI skipped: Electron headers come from the network';
const suiteName = supported
  ? `packaged app (linux --dir, stand-in Electron; ${SKIPPED_STEP})`
  : 'packaged app — SKIPPED: the stand-in package is built for linux-x64';

/** The marker Electron places before its fuse wire (@electron/fuses' constants, not exported). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's own default wire, in order of FuseV1Options: RunAsNode on, cookie encryption off, … */
const DEFAULT_WIRE = '101100011';

/** A stand-in Electron executable: a script that carries the fuse sentinel and a v1 wire. */
function standInElectron(): string {
  return `#!/bin/sh\n# ${SENTINEL}\u0001${String.fromCharCode(DEFAULT_WIRE.length)}${DEFAULT_WIRE}\nexit 0\n`;
}

/** Bare module specifiers the built main process imports (its externalised dependencies). */
function mainImports(outMain: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/(?:from\s*|import\(\s*|require\(\s*)"(@?[a-z0-9][\w./@-]*)"/g)) {
          const spec = match[1]!;
          if (!spec.startsWith('node:') && spec !== 'electron') found.add(spec);
        }
      }
    }
  };
  walk(outMain);
  return [...found].sort();
}

const packageOf = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

describe.skipIf(!supported)(suiteName, () => {
  const work = scratch('wisp-pack-');
  const output = join(work.dir, 'dist');
  const appDir = join(output, 'linux-unpacked');
  const archive = join(appDir, 'resources/app.asar');
  const extracted = join(work.dir, 'extracted');
  let files: string[] = [];
  let builderLog = '';

  beforeAll(() => {
    const build = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(build.status, build.stderr).toBe(0);
    const electronDist = join(work.dir, 'electron-dist');
    mkdirSync(electronDist);
    writeExecutable(join(electronDist, 'electron'), standInElectron());
    writeFileSync(join(electronDist, 'LICENSE'), 'stand-in');
    const pack = spawnSync(
      process.execPath,
      [
        join(repo, 'node_modules/electron-builder/cli.js'),
        '--config',
        'electron-builder.yml',
        '--linux',
        '--dir',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${output}`,
        '-c.npmRebuild=false',
      ],
      { cwd: repo, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    builderLog = pack.stdout + pack.stderr;
    expect(pack.status, builderLog).toBe(0);
    files = asar.listPackage(archive, { isPack: false }).map((file) => file.replace(/^\//, ''));
    asar.extractAll(archive, extracted);
  }, 180_000);

  afterAll(() => work.cleanup());

  it('packs the built main, preload and renderer, with every asset index.html references', () => {
    for (const file of [
      'package.json',
      'out/main/index.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
    ]) {
      expect(files).toContain(file);
    }
    const html = readFileSync(join(repo, 'out/renderer/index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map(
      (match) => `out/renderer/${match[1]}`,
    );
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect(files).toContain(asset);
    const chunks = readdirSync(join(repo, 'out/main/chunks')).map((name) => `out/main/chunks/${name}`);
    for (const chunk of chunks) expect(files).toContain(chunk);
  });

  it('ships every package the main process imports, each loading from the unpacked app', () => {
    const imports = mainImports(join(repo, 'out/main'));
    expect(imports).toEqual(
      expect.arrayContaining(['better-sqlite3-multiple-ciphers', '@signalapp/libsignal-client', 'keytar']),
    );
    // Load each one from inside the extracted archive, where no other node_modules is reachable:
    // a missing file, dependency or native binary fails the import.
    const probe = join(extracted, 'out/main/probe.mjs');
    writeFileSync(
      probe,
      `for (const spec of ${JSON.stringify(imports)}) { await import(spec); }\n` +
        `const sqlite = (await import('better-sqlite3-multiple-ciphers')).default;\n` +
        `const db = new sqlite(process.argv[2]); db.pragma("cipher = 'sqlcipher'"); db.pragma("key = 'k'");\n` +
        `db.exec('CREATE TABLE t (x)'); db.close();\n` +
        `const signal = await import('@signalapp/libsignal-client'); signal.PrivateKey.generate();\n`,
    );
    const run = spawnSync(process.execPath, [probe, join(work.dir, 'probe.db')], {
      cwd: work.dir,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('unpacks the native modules for this platform only, and no other platform’s libsignal', () => {
    const native = files.filter((file) => file.endsWith('.node')).sort();
    expect(native).toEqual([
      'node_modules/@signalapp/libsignal-client/prebuilds/linux-x64/@signalapp+libsignal-client.node',
      'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node',
      'node_modules/keytar/build/Release/keytar.node',
    ]);
    for (const file of native) {
      expect(asar.statFile(archive, file).unpacked).toBe(true);
      expect(existsSync(join(appDir, 'resources/app.asar.unpacked', file))).toBe(true);
    }
    const prebuilds = readdirSync(
      join(appDir, 'resources/app.asar.unpacked/node_modules/@signalapp/libsignal-client/prebuilds'),
    );
    expect(prebuilds).toEqual(['linux-x64']);
  });

  it('holds no tests, sources, benchmarks, source maps or native build trees', () => {
    const offenders = files.filter(
      (file) =>
        /^(tests|bench|harness|scripts|docs|build|deploy|main|preload|renderer|core|common|relay|cli|bin)\//.test(
          file,
        ) ||
        /\.(ts|tsx|map|md)$/.test(file) ||
        /^node_modules\/[^/]+\/(test|tests|__tests__)\//.test(file) ||
        /^node_modules\/(better-sqlite3-multiple-ciphers|keytar)\/(src|deps|binding\.gyp)/.test(file) ||
        /\/build\/Release\/obj/.test(file),
    );
    expect(offenders).toEqual([]);
  });

  it('holds no dev dependency and no install-time-only package', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const shipped = new Set(
      files
        .filter((file) => /^node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(file))
        .map((file) => file.slice(13, -13)),
    );
    const devOnly = Object.keys(pkg.devDependencies as Record<string, string>).filter(
      (name) => !(name in pkg.dependencies),
    );
    expect(devOnly.filter((name) => shipped.has(name))).toEqual([]);
    for (const name of [
      'prebuild-install',
      'node-abi',
      'tar-fs',
      'simple-get',
      'tsx',
      'esbuild',
      'electron',
      'electron-builder',
    ]) {
      expect(shipped.has(name)).toBe(false);
    }
    // Everything shipped is reachable from what main imports or a declared app dependency, through
    // run-time dependencies; prebuild-install (an install step) and tsx (a dev runner) are not.
    const notRunTime = new Set(['prebuild-install', 'tsx']);
    const required = [
      ...mainImports(join(repo, 'out/main')).map(packageOf),
      ...Object.keys(pkg.dependencies),
    ];
    const optional = Object.keys(pkg.optionalDependencies ?? {});
    const queue = [
      ...required.map((name) => ({ name, optional: false })),
      ...optional.map((name) => ({ name, optional: true })),
    ];
    const reachable = new Set<string>();
    while (queue.length > 0) {
      const { name, optional: isOptional } = queue.pop()!;
      if (reachable.has(name) || notRunTime.has(name)) continue;
      const manifest = join(extracted, 'node_modules', name, 'package.json');
      if (!existsSync(manifest)) {
        expect(isOptional, `${name} is needed at run time but missing from the ASAR`).toBe(true);
        continue;
      }
      reachable.add(name);
      const json = JSON.parse(readFileSync(manifest, 'utf8'));
      for (const dep of Object.keys(json.dependencies ?? {})) queue.push({ name: dep, optional: false });
      for (const dep of Object.keys(json.optionalDependencies ?? {}))
        queue.push({ name: dep, optional: true });
    }
    expect([...shipped].filter((name) => !reachable.has(name))).toEqual([]);
  });

  it('flips the fuses in the packaged executable', async () => {
    const wire = await getCurrentFuseWire(join(appDir, 'wisp'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(FuseState.DISABLE);
  });

  it('names the executable and states the signing step it skipped', () => {
    expect(existsSync(join(appDir, 'wisp'))).toBe(true);
    expect(builderLog).toContain('signing: not done for Linux packages');
  });
});
