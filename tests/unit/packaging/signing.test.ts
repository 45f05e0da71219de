// Signing and notarisation read their secrets from the environment only: with none, each step is
// skipped with one line saying which variables would enable it; with a complete set it runs; a
// half-configured set stops the build; no secret value is ever printed.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
type Plan = { sign: boolean; notarize: Record<string, string> | null; lines: string[] };
const { signingPlan, notarizeOptions } = (await import(join(repo, 'scripts/packaging/signing.mjs'))) as {
  signingPlan: (platform: string, env: Record<string, string>) => Plan;
  notarizeOptions: (appPath: string, credentials: Record<string, string>) => Record<string, string>;
};
const afterSign = (
  (await import(join(repo, 'scripts/packaging/afterSign.mjs'))) as { default: (c: unknown) => Promise<void> }
).default;

const SECRET = 'hunter2-do-not-print';

describe('signing plan', () => {
  it('skips every step with a line naming the variables when the environment has no secrets', () => {
    const mac = signingPlan('darwin', {});
    expect(mac.sign).toBe(false);
    expect(mac.notarize).toBeNull();
    expect(mac.lines).toEqual([
      expect.stringMatching(/^signing: skipped for macOS — CSC_LINK\/CSC_NAME not set/),
      expect.stringMatching(/^notarisation: skipped — set APPLE_API_KEY, APPLE_API_KEY_ID, APPLE_API_ISSUER/),
    ]);
    const win = signingPlan('win32', {});
    expect(win.sign).toBe(false);
    expect(win.lines).toEqual([
      expect.stringMatching(/^signing: skipped for Windows — WIN_CSC_LINK\/CSC_LINK/),
    ]);
    expect(signingPlan('linux', {}).lines).toEqual([
      expect.stringMatching(/^signing: not done for Linux packages/),
    ]);
  });

  it('signs and notarises with a complete set, without printing any secret', () => {
    const env = {
      CSC_LINK: `base64-${SECRET}`,
      CSC_KEY_PASSWORD: SECRET,
      APPLE_API_KEY: '/keys/AuthKey.p8',
      APPLE_API_KEY_ID: 'KEYID',
      APPLE_API_ISSUER: SECRET,
    };
    const plan = signingPlan('darwin', env);
    expect(plan.sign).toBe(true);
    expect(plan.notarize).not.toBeNull();
    expect(notarizeOptions('/out/Wisp.app', plan.notarize!)).toEqual({
      appPath: '/out/Wisp.app',
      appleApiKey: '/keys/AuthKey.p8',
      appleApiKeyId: 'KEYID',
      appleApiIssuer: SECRET,
    });
    expect(plan.lines.join('\n')).not.toContain(SECRET);
    expect(
      signingPlan('win32', { WIN_CSC_LINK: SECRET, WIN_CSC_KEY_PASSWORD: SECRET }).lines.join('\n'),
    ).not.toContain(SECRET);
  });

  it('maps an Apple ID credential set to notarytool’s options', () => {
    const plan = signingPlan('darwin', {
      CSC_NAME: 'Developer ID Application: Wisp',
      APPLE_ID: 'dev@example.org',
      APPLE_APP_SPECIFIC_PASSWORD: SECRET,
      APPLE_TEAM_ID: 'TEAM123',
    });
    expect(notarizeOptions('/a.app', plan.notarize!)).toEqual({
      appPath: '/a.app',
      appleId: 'dev@example.org',
      appleIdPassword: SECRET,
      teamId: 'TEAM123',
    });
  });

  it('stops a build whose notarisation credentials are half set, naming what is missing', () => {
    expect(() => signingPlan('darwin', { CSC_LINK: 'x', APPLE_ID: 'dev@example.org' })).toThrow(
      /notarisation is half configured: APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID missing/,
    );
    expect(() =>
      signingPlan('darwin', { APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: SECRET, APPLE_TEAM_ID: 't' }),
    ).toThrow(/Apple notarises signed apps only/);
  });

  it('afterSign does nothing for a macOS build without credentials, and nothing off macOS', async () => {
    const saved = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => /^(APPLE_|CSC_)/.test(key)),
    );
    for (const key of Object.keys(saved)) delete process.env[key];
    try {
      const context = {
        electronPlatformName: 'darwin',
        appOutDir: '/nonexistent',
        packager: { appInfo: { productFilename: 'Wisp' } },
      };
      await expect(afterSign(context)).resolves.toBeUndefined();
      await expect(afterSign({ ...context, electronPlatformName: 'linux' })).resolves.toBeUndefined();
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
