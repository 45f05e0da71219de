// The page's CSP after attachments: blob: was added to img-src and media-src (previews are Blob URLs
// of decrypted bytes held in memory) and nothing else widened — no blob: or data: for scripts,
// styles, workers, frames or connections, no remote origin anywhere. The desktop app's scheme
// handler and the browser harness serve this one string.
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/csp';
import { securityHeaders } from '../../../main/appProtocol';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

describe('Content-Security-Policy', () => {
  it('is exactly the pre-attachment policy plus blob: for images and media', () => {
    expect(Object.fromEntries(directives(CONTENT_SECURITY_POLICY))).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'media-src': ['blob:'],
      'font-src': ["'self'"],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
      'object-src': ["'none'"],
      'require-trusted-types-for': ["'script'"],
      'trusted-types': ["'none'"],
    });
  });

  it('names blob: and data: only in img-src and media-src, and no remote origin at all', () => {
    for (const [name, values] of directives(CONTENT_SECURITY_POLICY)) {
      if (name !== 'img-src' && name !== 'media-src') {
        expect(
          values.filter((v) => v === 'blob:' || v === 'data:'),
          name,
        ).toEqual([]);
      }
      expect(
        values.filter((v) => /^(https?|wss?):|\*|unsafe-/.test(v)),
        name,
      ).toEqual([]);
    }
    // No worker-src / script-src-elem / frame-src that could reopen what default-src closes.
    expect(
      [...directives(CONTENT_SECURITY_POLICY).keys()].filter((n) => /worker|elem|frame-src|child/.test(n)),
    ).toEqual([]);
  });

  it('is what the wisp:// scheme serves on every response', () => {
    expect(securityHeaders('text/html')['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });
});
