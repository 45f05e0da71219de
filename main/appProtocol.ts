// Serves the built renderer from Wisp's own privileged scheme (wisp://app/…) instead of file://, so
// the page has a real origin, a strict CSP header on every response, and no read access to the disk.
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { contentTypeOf } from './contentTypes';
import { CONTENT_SECURITY_POLICY } from './security';

export const APP_SCHEME = 'wisp';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Maps a request URL to a file under `root`, or null when it would escape it (`..`, other hosts). */
export function resolveAppFile(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  const pathname = decodeURIComponent(url.pathname);
  if (pathname.includes('\0')) return null;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const file = normalize(join(root, relative));
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  return file.startsWith(base) ? file : null;
}

export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

/** A protocol.handle callback serving files from `root`. */
export function appRequestHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = resolveAppFile(root, request.url);
    if (file === null) return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      const type = contentTypeOf(file);
      return new Response(new Uint8Array(body), { status: 200, headers: securityHeaders(type) });
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}
