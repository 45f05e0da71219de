// Detecting the Electron binary for tests/electron without require('electron').
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findElectronBinary } from '../../helpers/foundation/electronBinary';

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'wisp-electron-detect-'));
  vi.stubEnv('ELECTRON_EXEC_PATH', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(repo, { recursive: true, force: true });
});

describe('findElectronBinary', () => {
  it('reports a missing binary with the reason', () => {
    const result = findElectronBinary(repo);
    expect(result).toMatchObject({ found: false });
    if (!result.found) expect(result.reason).toContain('path.txt');
  });

  it('finds the binary named by path.txt inside dist/', () => {
    mkdirSync(join(repo, 'node_modules/electron/dist'), { recursive: true });
    writeFileSync(join(repo, 'node_modules/electron/path.txt'), 'electron');
    expect(findElectronBinary(repo)).toMatchObject({ found: false });
    writeFileSync(join(repo, 'node_modules/electron/dist/electron'), '');
    expect(findElectronBinary(repo)).toEqual({
      found: true,
      path: join(repo, 'node_modules/electron/dist/electron'),
    });
  });

  it('prefers ELECTRON_EXEC_PATH and says when it points nowhere', () => {
    vi.stubEnv('ELECTRON_EXEC_PATH', join(repo, 'nope'));
    expect(findElectronBinary(repo)).toMatchObject({
      found: false,
      reason: expect.stringContaining('does not exist'),
    });
    writeFileSync(join(repo, 'electron-bin'), '');
    vi.stubEnv('ELECTRON_EXEC_PATH', join(repo, 'electron-bin'));
    expect(findElectronBinary(repo)).toEqual({ found: true, path: join(repo, 'electron-bin') });
  });
});
