#!/usr/bin/env node
// `npm start` / `npm run dev`: obtains the Electron binary the way the `electron` package itself does
// (its lazy fetch, which electron-vite's launcher never triggers), then runs electron-vite with it.
// Where no binary can be had, one message says why and what works instead (`npm run dev:web`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '\u0000wisp-electron-path\u0000';

/**
 * Node versions whose `require()` can load ES modules without a flag: the electron package's fetch
 * (`@electron/get` 5, an ES module) is loaded that way, so older Nodes cannot fetch the binary.
 */
export function nodeCanFetchElectron(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;
}

/**
 * Runs the electron package's own `getElectronPath()` (what `require('electron')` does under Node):
 * it honours ELECTRON_OVERRIDE_DIST_PATH, and downloads the binary on first use, honouring
 * ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, electron_config_cache and the npm_config_electron_* forms.
 * Runs in a child so that its failure is ours to explain; its progress lines pass through.
 * @returns {{ ok: true, path: string } | { ok: false, reason: string }}
 */
export function obtainElectron(electronDir, env = process.env) {
  if (!existsSync(join(electronDir, 'package.json'))) {
    return { ok: false, reason: `the electron package is not installed (${electronDir}); run npm install` };
  }
  if (!nodeCanFetchElectron()) {
    return {
      ok: false,
      reason: `Node ${process.versions.node} cannot run the electron package's download (it needs require() of ES modules: Node ^20.19 or >= 22.12)`,
    };
  }
  const script = `process.stdout.write(${JSON.stringify(MARK)} + require(${JSON.stringify(electronDir)}))`;
  const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  const [before = '', path] = child.stdout.split(MARK);
  if (before.trim() !== '') process.stdout.write(before);
  if (child.status !== 0 || path === undefined) {
    return {
      ok: false,
      reason: `the electron package could not download its binary from ${downloadSource(env)}: ${firstError(child.stderr)}`,
    };
  }
  if (!existsSync(path)) {
    const override = env.ELECTRON_OVERRIDE_DIST_PATH;
    return {
      ok: false,
      reason:
        override !== undefined && override !== ''
          ? `ELECTRON_OVERRIDE_DIST_PATH=${override} holds no Electron executable (${path} is missing)`
          : `the electron package names ${path}, which does not exist`,
    };
  }
  return { ok: true, path };
}

/** The error line of a child's stderr (the stack's first line, plus the network cause if printed). */
function firstError(stderr) {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('at ') && !line.startsWith('Downloading'));
  const error = lines.find((line) => /(Error|error|failed|ENOTFOUND|ECONNREFUSED)/.test(line)) ?? lines[0];
  return error ?? 'it exited without saying why';
}

/** Where @electron/get downloads from: the mirror variables it reads, else GitHub's releases. */
function downloadSource(env) {
  const mirror = env.ELECTRON_MIRROR ?? env.npm_config_electron_mirror ?? env.NPM_CONFIG_ELECTRON_MIRROR;
  return mirror !== undefined && mirror !== '' ? mirror : 'https://github.com/electron/electron/releases';
}

export function noBinaryMessage(reason, version) {
  return [
    'wisp: the desktop app cannot start: there is no Electron binary.',
    `  Why: ${reason}.`,
    `  Fix: let the electron package reach github.com once, or set ELECTRON_MIRROR to a mirror of its`,
    `       releases, or point ELECTRON_OVERRIDE_DIST_PATH at a folder holding ${version === undefined ? 'the Electron that package.json names' : `Electron ${version}`}.`,
    '  Without Electron, `npm run dev:web` runs the same app in your browser against the same engine.',
  ].join('\n');
}

/**
 * `start` (electron-vite preview: build, then launch) or `dev` (electron-vite dev server).
 * `electronDir` is the electron package to ask; tests pass a copy so they never touch node_modules.
 */
export async function main(argv = process.argv.slice(2), env = process.env, options = {}) {
  const [mode = 'start', ...rest] = argv;
  const command = { start: 'preview', dev: 'dev' }[mode];
  if (command === undefined) {
    console.error(`wisp: unknown launcher mode "${mode}" (start or dev)`);
    return 2;
  }
  const require = createRequire(join(repo, 'package.json'));
  let electronDir = options.electronDir;
  try {
    electronDir ??= dirname(require.resolve('electron/package.json'));
  } catch {
    // An install without dev dependencies (npm ci --omit=dev) has no electron package.
    console.error(noBinaryMessage('the electron package is not installed; run npm install'));
    return 1;
  }
  const version = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
  const binary = obtainElectron(electronDir, env);
  if (!binary.ok) {
    console.error(noBinaryMessage(binary.reason, version));
    return 1;
  }
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  // electron-vite reads ELECTRON_EXEC_PATH before its own path.txt lookup.
  const child = spawn(process.execPath, [cli, command, ...rest], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...env, ELECTRON_EXEC_PATH: binary.path },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  return new Promise((done) => child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0))));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
