// The Content-Security-Policy of Wisp's page, on its own so build configs can import it alone:
// no inline or remote script, no eval, no plugins, no frames, no form posts, connections to self only;
// images and media may also come from blob: URLs (attachment previews, never from disk or network).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // blob: only for previews of attachments, made in the page from decrypted bytes held in memory.
  "img-src 'self' data: blob:",
  'media-src blob:',
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  // DOM sinks (innerHTML and friends) refuse plain strings: a message can never become markup.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');
