// The wisp:// protocol handler: serves files under the renderer root with the CSP header and
// nothing outside it, whatever the request path tries.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appRequestHandler, resolveAppFile } from '../../../main/appProtocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/security';

vi.mock('electron', () => ({}));

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wisp-proto-'));
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Wisp</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wisp:// protocol', () => {
  it('maps paths inside the root and refuses escapes, other hosts and other schemes', () => {
    expect(resolveAppFile(root, 'wisp://app/')).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, 'wisp://app/assets/app.js')).toBe(join(root, 'assets', 'app.js'));
    // The URL parser already folds these dot segments: they land inside the root (and 404 there).
    for (const folded of ['wisp://app/../secret.txt', 'wisp://app/%2e%2e/secret.txt']) {
      expect(resolveAppFile(root, folded)).toBe(join(root, 'secret.txt'));
    }
    // Encoded slashes survive the parser and decode to a real escape: refused.
    expect(resolveAppFile(root, 'wisp://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt')).toBeNull();
    expect(resolveAppFile(root, 'wisp://app/..%2f..%2fsecret.txt')).toBeNull();
    expect(resolveAppFile(root, 'wisp://app/a%00.js')).toBeNull();
    expect(resolveAppFile(root, 'wisp://other/index.html')).toBeNull();
    expect(resolveAppFile(root, 'file:///etc/passwd')).toBeNull();
  });

  it('serves the page with the strict CSP, and 404s what is outside', async () => {
    const handle = appRequestHandler(root);
    const page = await handle(new Request('wisp://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await handle(new Request('wisp://app/%2e%2e/secret.txt'))).status).toBe(404);
    expect((await handle(new Request('wisp://app/missing.js'))).status).toBe(404);
  });

  it('has a CSP without inline or remote script', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });
});
