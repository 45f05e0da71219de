// Structured logging for core/, cli/ and main/: JSON lines on stderr (stdout belongs to `--json`),
// level from WISP_LOG_LEVEL (default warn), with secret-bearing fields censored before writing.
// Guarded against: message text, keys, passphrases, usernames and IP addresses reaching a log.
import pino, { type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type { Logger };

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';
export const CENSORED = '[redacted]';

/** Queries (or other operations) slower than this are logged by logSlow (STYLE.md item 12). */
export const SLOW_MS = 40;

/**
 * Words that mark a field as secret-bearing. A field name is split into words (camelCase,
 * snake_case, kebab-case) and censored when any word is listed, so `messageText`, `db_key`,
 * `remoteAddress` and `senderUsername` are all caught. Over-censoring a harmless field is cheap;
 * leaking one is not.
 */
const SECRET_WORDS = new Set([
  'text',
  'body',
  'content',
  'plaintext',
  'ciphertext',
  'payload',
  'key',
  'keys',
  'passphrase',
  'password',
  'secret',
  'token',
  'seed',
  'signature',
  'mnemonic',
  'authorization',
  'cookie',
  'username',
  'user',
  'sender',
  'from',
  'recipient',
  'peer',
  'ip',
  'address',
  'host',
  'hostname',
  'query',
  'params',
  'values',
]);

/** Field names exempt from the word rule: pino's own `msg`, and error descriptions we build. */
const ALLOWED_FIELDS = new Set(['msg', 'level', 'time', 'component', 'label', 'ms', 'kind', 'type']);

const MAX_DEPTH = 6;

function wordsOf(field: string): string[] {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

export function isSecretField(field: string): boolean {
  if (ALLOWED_FIELDS.has(field)) return false;
  return wordsOf(field).some((w) => SECRET_WORDS.has(w));
}

/**
 * Deep copy of a log object with secret-bearing fields censored. Binary values are censored
 * wherever they appear (raw bytes in a log are almost always key material or ciphertext).
 * Errors keep only their kind, name and message (WispError messages never hold secrets by
 * contract); their stack is kept, their other own fields are walked like any object.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return CENSORED;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = value.message;
    if (value.stack !== undefined) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1, seen);
  }
  for (const [field, inner] of Object.entries(value)) {
    if (value instanceof Error && (field === 'message' || field === 'stack' || field === 'cause')) continue;
    out[field] = isSecretField(field) ? CENSORED : redact(inner, depth + 1, seen);
  }
  return out;
}

export function parseLogLevel(raw: string | undefined): LogLevel {
  const wanted = raw?.trim().toLowerCase();
  return LEVELS.find((l) => l === wanted) ?? DEFAULT_LOG_LEVEL;
}

export interface LoggerOptions {
  /** Defaults to WISP_LOG_LEVEL, then warn. */
  level?: LogLevel;
  /** Defaults to stderr (synchronous, so a CLI that exits right after an error still logs it). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.WISP_LOG_LEVEL);
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const logger = pino(
    {
      level,
      // No pid/hostname: a hostname often carries the user's name.
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
        log: (object) => redact(object) as Record<string, unknown>,
      },
      // redact() already turned errors into plain objects; keep pino from re-serialising them.
      serializers: { err: (e: unknown) => e },
    },
    destination,
  );
  // pino applies formatters.bindings only to the root; children (Object.create of their parent)
  // inherit this override, so every child's bindings are censored too, at any depth.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- deliberately unbound: called with each child as `this`
  const baseChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return baseChild.call(this, redact(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

let root: Logger | undefined;

/** The process-wide logger, created on first use (so WISP_LOG_LEVEL can be set before it). */
export function getLogger(): Logger {
  root ??= createLogger();
  return root;
}

/** A logger tagged with the component that writes, e.g. `loggerFor('store')`. */
export function loggerFor(component: string, parent: Logger = getLogger()): Logger {
  return parent.child({ component });
}

/**
 * Strips anything value-like from a label: quoted literals, hex blobs and long digit runs become
 * `?`, and it is cut to 200 characters. Labels should be static names ("messages.deleteDue") or
 * parameterised SQL; this is the guard for when someone passes interpolated SQL anyway.
 */
export function sanitiseLabel(label: string): string {
  return label
    .replace(/\bx'[0-9a-f]*'/gi, '?')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/"(?:[^"]|"")*"/g, '?')
    .replace(/\b[0-9a-f]{16,}\b/gi, '?')
    .replace(/\d{4,}/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/**
 * Logs a slow operation by label and duration only — never its parameters or results.
 * Returns whether it logged (durations at or under the threshold are ignored).
 */
export function logSlow(
  label: string,
  ms: number,
  thresholdMs = SLOW_MS,
  logger: Logger = getLogger(),
): boolean {
  if (!(ms > thresholdMs)) return false;
  logger.warn({ label: sanitiseLabel(label), ms: Math.round(ms * 10) / 10 }, 'slow operation');
  return true;
}
