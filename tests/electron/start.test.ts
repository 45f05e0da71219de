// `npm start` gets its Electron binary the way the electron package does, then launches the built
// app with it; without a binary it stops with one message naming `npm run dev:web`. The binary is a
// stand-in script (no Electron can be downloaded here), reached through the package's own
// ELECTRON_OVERRIDE_DIST_PATH, or fetched through the package's own download from a loopback mirror.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findElectronBinary } from '../helpers/foundation/electronBinary';
import {
  closedPort,
  electronPackageCopy,
  electronVersion,
  mirrorServing,
  releaseFiles,
  repo,
  scratch,
  standInScript,
  storedZip,
  writeExecutable,
} from './support/standIn';

const launcher = join(repo, 'scripts/start.mjs');
const onLinux = process.platform === 'linux';

/** The environment of a user's shell, minus anything that would point the launcher elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(ELECTRON_|npm_config_electron|electron_)/i.test(key)) delete env[key];
  }
  return { ...env, ELECTRON_GET_NO_PROGRESS: '1', ...extra };
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Runs the launcher's main() against a given copy of the electron package, in a child process. */
function runLauncherWith(electronDir: string, env: NodeJS.ProcessEnv) {
  const script =
    `const m = await import(${JSON.stringify(launcher)});` +
    `process.exitCode = await m.main(['start'], process.env, { electronDir: ${JSON.stringify(electronDir)} });`;
  return run(process.execPath, ['--input-type=module', '-e', script], env);
}

describe.skipIf(!onLinux)(
  `npm start${onLinux ? '' : ' — SKIPPED: the stand-in is a POSIX shell script'}`,
  () => {
    it('launches the Electron named by ELECTRON_OVERRIDE_DIST_PATH with the freshly built app', async () => {
      const { dir, cleanup } = scratch('wisp-start-');
      try {
        const record = join(dir, 'launched.txt');
        writeExecutable(join(dir, 'electron'), standInScript(record));
        const startedAt = Date.now();

        const result = await run(
          'npm',
          ['start', '--silent'],
          cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir }),
        );

        expect(result.stderr).not.toContain('Electron uninstall');
        expect(result.code).toBe(0);
        const [cwd, ...argv] = readFileSync(record, 'utf8').trimEnd().split('\n');
        expect(cwd).toBe(repo);
        expect(argv[0]).toBe('.');
        // "." is the app folder: its package.json main is what Electron runs, built by this start.
        const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
        const main = join(repo, pkg.main);
        expect(pkg.main).toBe('out/main/index.js');
        expect(statSync(main).mtimeMs).toBeGreaterThanOrEqual(startedAt - 1000);
        expect(existsSync(join(repo, 'out/preload/index.cjs'))).toBe(true);
        expect(existsSync(join(repo, 'out/renderer/index.html'))).toBe(true);
      } finally {
        cleanup();
      }
    });

    it('passes the app’s exit status through', async () => {
      const { dir, cleanup } = scratch('wisp-start-');
      try {
        writeExecutable(join(dir, 'electron'), standInScript(join(dir, 'launched.txt'), 7));
        const result = await run(
          process.execPath,
          [launcher, 'start'],
          cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir }),
        );
        expect(result.code).toBe(7);
      } finally {
        cleanup();
      }
    });

    it('fetches the binary through the electron package’s own download (ELECTRON_MIRROR) and launches it', async () => {
      const { dir, cleanup } = scratch('wisp-fetch-');
      const record = join(dir, 'launched.txt');
      const zip = storedZip([
        { name: 'electron', data: Buffer.from(standInScript(record)), mode: 0o755 },
        { name: 'version', data: Buffer.from(electronVersion), mode: 0o644 },
      ]);
      const mirror = await mirrorServing(releaseFiles(zip));
      try {
        const electronDir = electronPackageCopy(dir);
        const result = await runLauncherWith(
          electronDir,
          cleanEnv({
            ELECTRON_MIRROR: mirror.url,
            electron_use_remote_checksums: '1',
            electron_config_cache: join(dir, 'cache'),
          }),
        );

        expect(result.stderr).not.toContain('cannot start');
        expect(result.code).toBe(0);
        expect(mirror.requests).toContain(`/v${electronVersion}/electron-v${electronVersion}-linux-x64.zip`);
        expect(readFileSync(join(electronDir, 'path.txt'), 'utf8')).toBe('electron');
        expect(readFileSync(record, 'utf8').split('\n').slice(0, 2)).toEqual([repo, '.']);
      } finally {
        await mirror.close();
        cleanup();
      }
    });

    it('stops with one message naming npm run dev:web when the binary cannot be fetched', async () => {
      const { dir, cleanup } = scratch('wisp-nofetch-');
      try {
        const electronDir = electronPackageCopy(dir);
        const mirror = `http://127.0.0.1:${await closedPort()}/`;
        const result = await runLauncherWith(
          electronDir,
          cleanEnv({ ELECTRON_MIRROR: mirror, electron_config_cache: join(dir, 'cache') }),
        );

        expect(result.code).toBe(1);
        expect(result.stderr.match(/the desktop app cannot start/g)).toHaveLength(1);
        expect(result.stderr).toContain(`could not download its binary from ${mirror}`);
        expect(result.stderr).toContain('npm run dev:web');
        expect(result.stderr).not.toContain('Electron uninstall');
        expect(result.stdout).not.toContain('starting electron app');
        expect(existsSync(join(electronDir, 'path.txt'))).toBe(false);
      } finally {
        cleanup();
      }
    });

    it('says which folder is wrong when ELECTRON_OVERRIDE_DIST_PATH holds no executable', async () => {
      const { dir, cleanup } = scratch('wisp-override-');
      try {
        const result = await run(
          process.execPath,
          [launcher, 'start'],
          cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dir }),
        );
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`ELECTRON_OVERRIDE_DIST_PATH=${dir} holds no Electron executable`);
        expect(result.stderr).toContain('npm run dev:web');
      } finally {
        cleanup();
      }
    });

    const installed = findElectronBinary(repo);
    it.skipIf(installed.found)(
      `npm start itself stops with that message on this machine${installed.found ? ' — SKIPPED: an Electron binary is installed here' : ''}`,
      async () => {
        const { dir, cleanup } = scratch('wisp-nofetch-');
        try {
          const mirror = `http://127.0.0.1:${await closedPort()}/`;
          const result = await run(
            'npm',
            ['start', '--silent'],
            cleanEnv({ ELECTRON_MIRROR: mirror, electron_config_cache: join(dir, 'cache') }),
          );
          expect(result.code).not.toBe(0);
          expect(result.stderr).toContain('the desktop app cannot start');
          expect(result.stderr).toContain('npm run dev:web');
          expect(result.stderr).not.toContain('Electron uninstall');
        } finally {
          cleanup();
        }
      },
    );
  },
);

describe('launcher Node check', () => {
  it('accepts exactly the Nodes whose require() loads the ES-module download code', async () => {
    const { nodeCanFetchElectron } = (await import(launcher)) as {
      nodeCanFetchElectron: (v: string) => boolean;
    };
    expect(['20.18.3', '21.7.0', '22.11.0', '18.20.0'].map((v) => nodeCanFetchElectron(v))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['20.19.0', '20.20.2', '22.12.0', '24.1.0'].map((v) => nodeCanFetchElectron(v))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
