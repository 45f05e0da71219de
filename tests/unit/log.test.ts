// Unit tests for core/log: secrets never reach the output, levels, and the slow-operation log.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WispError } from '../../common/errors';
import {
  CENSORED,
  createLogger,
  isSecretField,
  logSlow,
  loggerFor,
  parseLogLevel,
  redact,
  sanitiseLabel,
  type LogLevel,
} from '../../core/log';

const MESSAGE_TEXT = 'meet me at the old bridge at 9, bring the documents';
const KEY_HEX = 'a3f1c2d4e5b6978812345678deadbeefcafebabe0011223344556677889900aa';
const PASSPHRASE = 'correct horse battery staple';
const USERNAME = 'alice_the_sender';
const IP = '203.0.113.42';

function capture(level: LogLevel = 'trace') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.length > 0),
      );
      done();
    },
  });
  const logger = createLogger({ level, destination: sink });
  return { logger, lines, all: () => lines.join('\n') };
}

describe('log redaction', () => {
  it('never writes a message text or a key, at any depth or spelling of the field', () => {
    const { logger, lines, all } = capture();
    logger.info({ text: MESSAGE_TEXT, key: KEY_HEX, messageId: 'm1' }, 'sent');
    logger.info({ message: { body: MESSAGE_TEXT, attachmentKey: KEY_HEX } }, 'nested');
    logger.info({ deep: { a: { b: [{ messageText: MESSAGE_TEXT, db_key: KEY_HEX }] } } }, 'deeper');
    logger.info({ draft: { plaintext: MESSAGE_TEXT, ciphertext: Buffer.from(KEY_HEX, 'hex') } }, 'bytes');
    logger.info({ rawKey: Buffer.from(KEY_HEX, 'hex'), frame: new Uint8Array([1, 2, 3]) }, 'raw');
    logger.error({ passphrase: PASSPHRASE, senderUsername: USERNAME, remoteAddress: IP, ip: IP }, 'auth');

    expect(lines).toHaveLength(6);
    const out = all();
    for (const secret of [MESSAGE_TEXT, KEY_HEX, PASSPHRASE, USERNAME, IP]) {
      expect(out).not.toContain(secret);
    }
    // Every line is JSON, and the redacted fields are still present (so a reader sees they existed).
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      level: 'info',
      msg: 'sent',
      text: CENSORED,
      key: CENSORED,
      messageId: 'm1',
    });
    expect(typeof first.time).toBe('string');
    const raw = JSON.parse(lines[4]!) as Record<string, unknown>;
    expect(raw).toMatchObject({ rawKey: CENSORED, frame: CENSORED });
  });

  it('censors secret fields in child-logger bindings', () => {
    const { logger, all } = capture();
    logger
      .child({ component: 'relayClient', username: USERNAME })
      .child({ peer: { ip: IP } })
      .warn('reconnecting');
    const out = all();
    expect(out).not.toContain(USERNAME);
    expect(out).not.toContain(IP);
    expect(out).toContain('relayClient');
  });

  it('keeps an error kind and message but censors secret fields attached to it', () => {
    const { logger, lines, all } = capture();
    const error = new WispError('DecryptionFailed', 'envelope failed authentication', {
      cause: Object.assign(new Error('inner'), { key: KEY_HEX }),
    });
    Object.assign(error, { text: MESSAGE_TEXT });
    logger.error({ err: error }, 'receive failed');
    const out = all();
    expect(out).not.toContain(KEY_HEX);
    expect(out).not.toContain(MESSAGE_TEXT);
    const line = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ kind: 'DecryptionFailed', message: 'envelope failed authentication' });
    expect(line.err.text).toBe(CENSORED);
    expect((line.err.cause as Record<string, unknown>).key).toBe(CENSORED);
  });

  it('censors an error passed directly as the first argument', () => {
    const { logger, lines, all } = capture();
    logger.error(Object.assign(new Error('send failed'), { body: MESSAGE_TEXT, passphrase: PASSPHRASE }));
    expect(all()).not.toContain(MESSAGE_TEXT);
    expect(all()).not.toContain(PASSPHRASE);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'send failed',
      err: { message: 'send failed', body: CENSORED },
    });
  });

  it('survives circular objects without throwing or leaking', () => {
    const { logger, all } = capture();
    const node: Record<string, unknown> = { text: MESSAGE_TEXT };
    node.self = node;
    logger.info({ node }, 'circular');
    expect(all()).toContain('[circular]');
    expect(all()).not.toContain(MESSAGE_TEXT);
  });

  it('classifies field names by their words', () => {
    for (const f of [
      'text',
      'body',
      'key',
      'passphrase',
      'ciphertext',
      'username',
      'ip',
      'identityKey',
      'remote_address',
      'X-Forwarded-For-Ip',
      'dbKey',
    ]) {
      expect(isSecretField(f), f).toBe(true);
    }
    for (const f of [
      'msg',
      'messageId',
      'count',
      'ms',
      'label',
      'conversationId',
      'keystore',
      'zip',
      'skipped',
    ]) {
      expect(isSecretField(f), f).toBe(false);
    }
  });

  it('redact leaves plain values alone', () => {
    expect(redact({ count: 3, ok: true, id: 'x', list: [1, 2] })).toEqual({
      count: 3,
      ok: true,
      id: 'x',
      list: [1, 2],
    });
  });
});

describe('log levels', () => {
  const saved = process.env.WISP_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.WISP_LOG_LEVEL;
    else process.env.WISP_LOG_LEVEL = saved;
  });

  it('defaults to warn, and falls back to warn on a bad value', () => {
    expect(parseLogLevel(undefined)).toBe('warn');
    expect(parseLogLevel('verbose')).toBe('warn');
    expect(parseLogLevel(' DEBUG ')).toBe('debug');
  });

  it('reads WISP_LOG_LEVEL when no level is given', () => {
    process.env.WISP_LOG_LEVEL = 'error';
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ destination: sink });
    logger.warn('dropped');
    logger.error('kept');
    expect(lines.join('')).not.toContain('dropped');
    expect(lines.join('')).toContain('kept');
  });

  it('writes nothing below the default warn level', () => {
    delete process.env.WISP_LOG_LEVEL;
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ destination: sink });
    logger.info('chatty');
    logger.warn('worth knowing');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('worth knowing');
  });

  it('loggerFor tags lines with the component', () => {
    const { logger, lines } = capture();
    loggerFor('store', logger).warn('x');
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'store', msg: 'x' });
  });
});

describe('logSlow', () => {
  it('logs label and duration only, above the 40 ms threshold', () => {
    const { logger, lines } = capture();
    expect(logSlow('messages.deleteDue', 40, undefined, logger)).toBe(false);
    expect(logSlow('messages.deleteDue', 41.26, undefined, logger)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', label: 'messages.deleteDue', ms: 41.3 });
  });

  it('strips values from a label that carries interpolated SQL', () => {
    const { logger, all } = capture();
    logSlow(
      `SELECT * FROM messages WHERE text = '${MESSAGE_TEXT}' AND key = x'${KEY_HEX}' AND sent_at > 1700000000000`,
      120,
      undefined,
      logger,
    );
    const out = all();
    expect(out).not.toContain(MESSAGE_TEXT);
    expect(out).not.toContain(KEY_HEX);
    expect(out).not.toContain('1700000000000');
    expect(out).toContain('SELECT * FROM messages WHERE text = ? AND key = ? AND sent_at > ?');
  });

  it('sanitiseLabel keeps static names intact', () => {
    expect(sanitiseLabel('store.messages.insert')).toBe('store.messages.insert');
  });
});
