// Finds an Electron binary without require('electron') (which would try to download one):
// ELECTRON_EXEC_PATH, or node_modules/electron/path.txt plus its dist/ folder.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; reason: string };

export function findElectronBinary(repo = resolve(import.meta.dirname, '../../..')): ElectronBinary {
  const fromEnv = process.env.ELECTRON_EXEC_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    return existsSync(fromEnv)
      ? { found: true, path: fromEnv }
      : { found: false, reason: `ELECTRON_EXEC_PATH=${fromEnv} does not exist` };
  }
  const pkg = join(repo, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      found: false,
      reason:
        'no Electron binary: node_modules/electron/path.txt is missing (the binary download from GitHub ' +
        'is unreachable here); set ELECTRON_EXEC_PATH to run these tests',
    };
  }
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary)
    ? { found: true, path: binary }
    : { found: false, reason: `node_modules/electron/path.txt names ${binary}, which does not exist` };
}
