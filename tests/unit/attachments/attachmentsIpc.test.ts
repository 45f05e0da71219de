// The attachments IPC contract as the dispatcher enforces it, before any handler runs: sizes capped
// at what the relay accepts, chunks bounded and base64, names that cannot be paths, absolute save
// paths only. Bad input reaches no service (the services here throw if called at all).
import { describe, expect, it } from 'vitest';
import { WispError } from '../../../common/errors';
import {
  MAX_ATTACHMENT_BYTES,
  MAX_PREVIEW_BYTES,
  PreviewOutput,
  STAGE_CHUNK_BYTES,
  channelOf,
  type WispServices,
} from '../../../common/ipc';
import { CHUNK_BYTES, HEADER_BYTES } from '../../../core/engine/attachmentCrypto';
import { createDispatcher } from '../../../core/services';
import { DEFAULT_LIMITS } from '../../../relay/config';

const untouchable = new Proxy({} as WispServices, {
  get() {
    return new Proxy(
      {},
      {
        get() {
          return () => {
            throw new WispError('NotImplemented', 'the service was reached');
          };
        },
      },
    );
  },
});
const dispatch = createDispatcher(untouchable);
const call = (name: string, input: unknown) => dispatch(channelOf('attachments', name), [input]);

async function refused(name: string, input: unknown): Promise<string> {
  const result = await call(name, input);
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.error.kind).toBe('InvalidInput');
  return result.error.message;
}

describe('attachments IPC validation', () => {
  it('caps a file so that its ciphertext fits the relay’s default attachment limit', () => {
    const chunks = Math.ceil(MAX_ATTACHMENT_BYTES / CHUNK_BYTES);
    const ciphertext = HEADER_BYTES + MAX_ATTACHMENT_BYTES + chunks * 16;
    expect(ciphertext).toBeLessThanOrEqual(DEFAULT_LIMITS.maxAttachmentBytes);
    // And the cap is not needlessly small: within 64 KiB of the relay's limit.
    expect(DEFAULT_LIMITS.maxAttachmentBytes - ciphertext).toBeLessThan(64 * 1024);
  });

  it('refuses to stage an empty file, one above the cap, or a name that is a path', async () => {
    await refused('stage', { fileName: 'a.png', size: 0 });
    await refused('stage', { fileName: 'a.png', size: MAX_ATTACHMENT_BYTES + 1 });
    await refused('stage', { fileName: '../../.bashrc', size: 10 });
    await refused('stage', { fileName: 'C:\\Windows\\x.dll', size: 10 });
    await refused('stage', { fileName: 'a\0.png', size: 10 });
    await refused('stage', { fileName: '..', size: 10 });
    await refused('stage', { fileName: 'x'.repeat(256), size: 10 });
  });

  it('refuses a chunk that is not base64 or larger than one staging chunk', async () => {
    await refused('stageChunk', { uploadId: 'u', offset: 0, data: 'not base64!' });
    await refused('stageChunk', { uploadId: 'u', offset: -1, data: 'AAAA' });
    const tooBig = Buffer.alloc(STAGE_CHUNK_BYTES + 3).toString('base64');
    await refused('stageChunk', { uploadId: 'u', offset: 0, data: tooBig });
    await refused('stageChunk', { uploadId: 'u', offset: 0, data: '' });
  });

  it('refuses a send with burn longer than expiry, and a save to a relative path', async () => {
    await refused('send', {
      to: 'bob',
      text: '',
      uploadId: 'u',
      expireAfterMs: 60_000,
      burnAfterMs: 120_000,
    });
    await refused('send', { to: 'bob', text: 'x'.repeat(65_537), uploadId: 'u' });
    await refused('save', { messageId: 'm', attachmentId: 'a', path: 'saved.png' });
    await refused('save', { messageId: 'm', attachmentId: 'a', path: '/tmp/a\0b' });
    await refused('preview', { messageId: 'm' });
  });

  it('checks a preview of the largest allowed size as base64 without failing on its length', () => {
    // A 32 MiB preview is a 43 MB string: the check must not recurse per character (a grouped,
    // repeated regex overflowed the stack here, turning every large preview into an internal error).
    const data = Buffer.alloc(MAX_PREVIEW_BYTES, 7).toString('base64');
    expect(PreviewOutput.safeParse({ mime: 'image/png', data }).success).toBe(true);
    expect(PreviewOutput.safeParse({ mime: 'image/png', data: data.slice(0, -4) + 'AA!A' }).success).toBe(
      false,
    );
    expect(PreviewOutput.safeParse({ mime: 'image/png', data: 'AAA' }).success).toBe(false);
    expect(PreviewOutput.safeParse({ mime: 'image/svg+xml', data: 'AAAA' }).success).toBe(false);
  });

  it('lets a well-formed call through to the service', async () => {
    const result = await call('stageChunk', { uploadId: 'u', offset: 0, data: 'AAAA' });
    // Input passed validation and reached the service (which says so by its error).
    expect(result).toEqual({
      ok: false,
      error: { kind: 'NotImplemented', message: 'the service was reached' },
    });
  });
});
