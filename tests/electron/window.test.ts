// The packaged-shape app in a real Electron (when a binary exists): the page gets window.wisp and
// no Node, IPC answers from main, and the page is served from wisp://, not file://.
// Without a binary every test here is skipped, with the reason in the suite name; never faked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../helpers/foundation/electronBinary';

const repo = resolve(import.meta.dirname, '../..');
const binary = findElectronBinary(repo);
const suiteName = binary.found ? 'Electron app' : `Electron app — SKIPPED: ${binary.reason}`;
if (!binary.found) console.warn(`tests/electron skipped: ${binary.reason}`);

describe.skipIf(!binary.found)(suiteName, () => {
  let app: ElectronApplication;
  let page: Page;
  let userData: string;

  beforeAll(async () => {
    if (!binary.found) return;
    execFileSync(process.execPath, [join(repo, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: repo,
      stdio: 'ignore',
    });
    userData = mkdtempSync(join(tmpdir(), 'wisp-electron-'));
    app = await electron.launch({
      executablePath: binary.path,
      args: [repo, `--user-data-dir=${userData}`],
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '0' },
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  it('serves the page from wisp://app, not file://', () => {
    expect(page.url()).toBe('wisp://app/index.html');
  });

  it('gives the page window.wisp and no Node or ipcRenderer', async () => {
    const seen = await page.evaluate(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      return {
        wisp: typeof g.wisp,
        require: typeof g.require,
        process: typeof g.process,
        ipcRenderer: typeof (g.wisp as Record<string, unknown>).ipcRenderer,
      };
    });
    expect(seen).toEqual({
      wisp: 'object',
      require: 'undefined',
      process: 'undefined',
      ipcRenderer: 'undefined',
    });
  });

  it('answers app.info from main with the electron runtime', async () => {
    const info = await page.evaluate(() =>
      (globalThis as unknown as { wisp: { app: { info(): Promise<unknown> } } }).wisp.app.info(),
    );
    expect(info).toMatchObject({ ok: true, value: { runtime: 'electron' } });
  });

  it('refuses window.open', async () => {
    const before = app.windows().length;
    await page.evaluate(() =>
      (globalThis as unknown as { open(u: string): unknown }).open('https://example.org/'),
    );
    expect(app.windows().length).toBe(before);
  });
});
