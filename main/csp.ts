// The Content-Security-Policy of Wisp's page, on its own so build configs can import it alone:
// no inline or remote script, no eval, no plugins, no frames, no form posts, connections to self only.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
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
