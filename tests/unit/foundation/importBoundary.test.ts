// The import-boundary rule of eslint.config.js (PRODUCT.md, Parts), run through ESLint's API on
// source text placed at real paths: it must fail a renderer file that imports node:fs.
import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
let eslint: ESLint;

beforeAll(() => {
  // The repo's own config; only type-aware rules are switched off, since these files are virtual
  // and not in a tsconfig. The boundary rule is not type-aware, so it runs exactly as in `npm run lint`.
  eslint = new ESLint({ cwd: repo, overrideConfig: [tseslint.configs.disableTypeChecked] });
});

async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(repo, path) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import-boundary lint rule', () => {
  it('fails a renderer file that imports node:fs', async () => {
    const errors = await boundaryErrors(
      'renderer/components/Leaky.tsx',
      "import { readFileSync } from 'node:fs';\nexport const leak = readFileSync;\n",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('node:fs');
  });

  it.each([
    ['renderer/x.ts', "import fs from 'fs';"],
    ['renderer/x.ts', "import { readFile } from 'fs/promises';"],
    ['renderer/x.ts', "import { ipcRenderer } from 'electron';"],
    ['renderer/containers/x.ts', "import { Engine } from '../../core/engine';"],
    ['renderer/x.ts', "import { startRelay } from '../relay';"],
    ['renderer/x.ts', "import '../main/index';"],
    ['common/x.ts', "import { join } from 'node:path';"],
    ['common/ipc/x.ts', "import { app } from 'electron';"],
    ['common/x.ts', "import { Engine } from '../core/engine';"],
    ['core/x.ts', "import { app } from 'electron';"],
    ['relay/x.ts', "import { app } from 'electron';"],
  ])('fails %s with %s', async (path, code) => {
    expect(await boundaryErrors(path, `${code}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    ['renderer/x.ts', "import { WispError } from '../common/errors';"],
    ['common/ipc/x.ts', "import { method } from './contract';\nimport { z } from 'zod';"],
    ['common/x.ts', "import { x } from './events';"],
    ['main/x.ts', "import { app } from 'electron';\nimport { join } from 'node:path';"],
    ['preload/x.ts', "import { contextBridge } from 'electron';"],
    ['core/x.ts', "import { readFile } from 'node:fs/promises';"],
  ])('allows %s with %s', async (path, code) => {
    expect(await boundaryErrors(path, `${code}\nexport {};\n`)).toEqual([]);
  });
});
