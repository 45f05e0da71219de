// The relay's logger: pino JSON lines with no request serialisers at all, so no IP address, URL,
// header, account id or username can reach a log line by accident; call sites log counts and kinds.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createRelayLogger(level: string = process.env.WISP_RELAY_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'wisp-relay' },
      serializers: {},
      // Belt and braces: field names that would carry identifying data are censored if ever logged.
      redact: {
        paths: ['ip', 'remoteAddress', 'accountId', 'username', 'to', 'from', 'req', 'headers'],
        censor: '[redacted]',
      },
    },
    // Synchronous: few lines, and none may be lost when the process exits right after logging.
    pino.destination({ dest: 2, sync: true }),
  );
}
