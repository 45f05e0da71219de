// What `npm install` and the everyday npm commands do on a user's machine: native addons compile
// from source (prebuild-install is told so by .prebuild-installrc, found from each addon's folder),
// npm prints no config warning, and keytar's types never depend on whether keytar compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');

describe('install and npm configuration', () => {
  it.each(['better-sqlite3-multiple-ciphers', 'keytar'])(
    'prebuild-install, run from %s, builds from source instead of downloading',
    (addon) => {
      const folder = join(repo, 'node_modules', addon);
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
      expect(manifest.scripts.install).toMatch(/^prebuild-install \|\| /);
      const env = { ...process.env };
      for (const key of Object.keys(env)) if (/build_from_source/i.test(key)) delete env[key];
      // prebuild-install's own config reader, given the addon's manifest as its bin.js does, from the
      // folder npm runs the install script in.
      const reader = `const rc = require(${JSON.stringify(join(repo, 'node_modules/prebuild-install/rc.js'))});
        process.stdout.write(JSON.stringify(rc(require('./package.json'))))`;
      const rc = spawnSync(process.execPath, ['-e', reader], {
        cwd: folder,
        env,
        encoding: 'utf8',
      });
      expect(rc.status).toBe(0);
      expect(JSON.parse(rc.stdout).buildFromSource).toBe(true);
    },
  );

  it('npm prints no warning about the project’s configuration', () => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (/^npm_config_/i.test(key)) delete env[key];
    const result = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: repo, env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/npm warn/i);
    if (existsSync(join(repo, '.npmrc'))) {
      expect(readFileSync(join(repo, '.npmrc'), 'utf8')).not.toMatch(/build-from-source/);
    }
  });

  it('types keytar from core/vault/keytar.d.ts, not from the optional package', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(repo, 'tsconfig.node.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    const resolved = ts.resolveModuleName(
      'keytar',
      join(repo, 'core/vault/keychainKeyStore.ts'),
      parsed!.options,
      ts.sys,
    );
    expect(resolved.resolvedModule?.resolvedFileName).toBe(join(repo, 'core/vault/keytar.d.ts'));
  });

  it('states the Node versions every command really runs on', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    // electron's download needs require(esm) (20.19+, 22.12+); jsdom 29 needs ^20.19 || ^22.13 || >=24;
    // better-sqlite3-multiple-ciphers 12 builds for Node 20–24.
    expect(manifest.engines.node).toBe('^20.19.0 || ^22.13.0 || ^24.0.0');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain('Node.js 20.19+, 22.13+ or 24');
  });
});
