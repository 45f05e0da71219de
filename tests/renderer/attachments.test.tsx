// Attachments in the renderer (jsdom): the composer takes a file by button, paste and drop and shows
// it as a removable chip; previews become Blob URLs that are revoked when their message is
// destroyed (and never made when the bytes arrive after it); the lightbox closes on Escape.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ATTACHMENT_BYTES, STAGE_CHUNK_BYTES, type WispBridge, type WispEvent } from '../../common/ipc';
import { AttachmentChip } from '../../renderer/components/AttachmentChip';
import { Composer } from '../../renderer/components/Composer';
import { ConversationView } from '../../renderer/components/ConversationView';
import { AttachmentLightbox } from '../../renderer/components/AttachmentLightbox';
import { createClient } from '../../renderer/ipc/client';
import { useAttachments } from '../../renderer/lib/attachmentsView';
import { bytesToBase64, base64ToBytes, formatBytes } from '../../renderer/lib/attachments';
import { NOW, messageView } from '../helpers/renderer/render';

afterEach(cleanup);

const timers = { expireAfterMs: null, burnAfterMs: null };
const png = () =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], 'cat.png', { type: 'image/png' });

describe('Composer attachments', () => {
  it('attaches by the paperclip, shows name and size, sends without text, and can remove it', () => {
    const onSend = vi.fn();
    const onAttach = vi.fn();
    const file = png();
    const { rerender, container } = render(
      <Composer initialTimers={timers} busy={false} onSend={onSend} attachment={null} onAttach={onAttach} />,
    );
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
    const input = container.querySelector<HTMLInputElement>('input[type=file]')!;
    fireEvent.change(input, { target: { files: [file] } });
    expect(onAttach).toHaveBeenCalledWith(file);

    rerender(
      <Composer initialTimers={timers} busy={false} onSend={onSend} attachment={file} onAttach={onAttach} />,
    );
    const chip = screen.getByRole('group', { name: 'Attached file cat.png' });
    expect(chip.textContent).toContain('7 B');
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(onSend).toHaveBeenCalledWith('', timers, file);
    fireEvent.click(screen.getByRole('button', { name: 'Remove cat.png' }));
    expect(onAttach).toHaveBeenLastCalledWith(null);
  });

  it('takes a pasted image as the attachment and leaves pasted text alone', () => {
    const onAttach = vi.fn();
    render(
      <Composer initialTimers={timers} busy={false} onSend={vi.fn()} attachment={null} onAttach={onAttach} />,
    );
    const box = screen.getByLabelText('Message');
    fireEvent.paste(box, { clipboardData: { files: [], getData: () => 'just text' } });
    expect(onAttach).not.toHaveBeenCalled();
    const pasted = new File([new Uint8Array([1])], '', { type: 'image/png' });
    fireEvent.paste(box, { clipboardData: { files: [pasted] } });
    expect(onAttach).toHaveBeenCalledTimes(1);
    expect((onAttach.mock.calls[0]![0] as File).name).toBe('pasted-image.png');
  });

  it('refuses a file above the relay’s limit before anything is staged', () => {
    const big = png();
    Object.defineProperty(big, 'size', { value: MAX_ATTACHMENT_BYTES + 1 });
    render(
      <Composer initialTimers={timers} busy={false} onSend={vi.fn()} attachment={big} onAttach={vi.fn()} />,
    );
    expect(screen.getByText(/Files are limited to/)).toBeDefined();
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
  });

  it('takes a file dropped on the conversation', () => {
    render(
      <ConversationView
        title="bob"
        messages={[]}
        burning={new Set()}
        expiredUnread={0}
        now={NOW}
        defaultTimers={timers}
        sending={false}
        error={null}
        onSend={vi.fn()}
        renderAttachments={() => null}
      />,
    );
    const section = screen.getByRole('region', { name: 'Conversation with bob' });
    const file = png();
    fireEvent.dragOver(section, { dataTransfer: { types: ['Files'], files: [file] } });
    fireEvent.drop(section, { dataTransfer: { types: ['Files'], files: [file] } });
    expect(screen.getByRole('group', { name: 'Attached file cat.png' })).toBeDefined();
  });
});

/** A bridge whose preview answers with `data`, resolved when the test says so; events on demand. */
function fakeBridge() {
  const listeners = new Set<(e: WispEvent) => void>();
  let answer: (value: unknown) => void = () => undefined;
  const preview = vi.fn(
    () =>
      new Promise((resolve) => {
        answer = resolve;
      }),
  );
  const bridge = {
    app: { info: async () => ({ ok: true, value: { capabilities: { fileDialogs: false } } }) },
    attachments: { preview },
    onEvent: (l: (e: WispEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as WispBridge;
  return {
    client: createClient(bridge),
    preview,
    answer: (data: string) => answer({ ok: true, value: { mime: 'image/png', data } }),
    emit: (e: WispEvent) => act(() => listeners.forEach((l) => l(e))),
  };
}

function Bubble({
  client,
  message,
}: {
  client: ReturnType<typeof createClient>;
  message: ReturnType<typeof messageView>;
}) {
  const { renderAttachments } = useAttachments(client);
  return <div>{renderAttachments(message)}</div>;
}

describe('attachment previews', () => {
  const created: string[] = [];
  const revoke = vi.fn();
  beforeEach(() => {
    created.length = 0;
    revoke.mockReset();
    let n = 0;
    URL.createObjectURL = vi.fn(() => {
      const url = `blob:test/${++n}`;
      created.push(url);
      return url;
    });
    URL.revokeObjectURL = revoke;
  });
  const photo = messageView({
    id: 'm-photo',
    attachments: [{ id: 'a1', fileName: 'cat.png', contentType: 'image/png', size: 7, downloaded: true }],
  });

  it('shows the preview from a Blob URL, and revokes that URL when the message burns', async () => {
    const f = fakeBridge();
    render(<Bubble client={f.client} message={photo} />);
    await waitFor(() => expect(f.preview).toHaveBeenCalledTimes(1));
    await act(async () => f.answer(bytesToBase64(new Uint8Array([0x89, 0x50]))));
    const img = await screen.findByRole('img', { name: 'cat.png' });
    expect(img.getAttribute('src')).toBe('blob:test/1');
    expect(revoke).not.toHaveBeenCalled();

    f.emit({ type: 'message.destroyed', id: 'm-photo', conversationId: 'c1', reason: 'burned' });
    expect(revoke).toHaveBeenCalledWith('blob:test/1');
    expect(screen.queryByRole('img', { name: 'cat.png' })).toBeNull();
  });

  it('never makes a Blob URL for bytes that arrive after the message was destroyed', async () => {
    const f = fakeBridge();
    render(<Bubble client={f.client} message={photo} />);
    await waitFor(() => expect(f.preview).toHaveBeenCalledTimes(1));
    f.emit({ type: 'message.destroyed', id: 'm-photo', conversationId: 'c1', reason: 'expired' });
    await act(async () => f.answer(bytesToBase64(new Uint8Array([0x89, 0x50]))));
    expect(created).toEqual([]);
    expect(screen.queryByRole('img', { name: 'cat.png' })).toBeNull();
  });

  it('offers a path field to save where there is no dialog, and shows download progress', async () => {
    const f = fakeBridge();
    render(<Bubble client={f.client} message={photo} />);
    expect(await screen.findByLabelText('Save cat.png to')).toBeDefined();
    f.emit({
      type: 'attachment.progress',
      progress: { id: 'a1', direction: 'download', bytes: 50, total: 100, done: false },
    });
    expect(screen.getByRole('progressbar', { name: 'Downloading cat.png' }).getAttribute('value')).toBe('50');
  });
});

describe('sending a file', () => {
  it('stages the bytes in order in bounded chunks, then shows the upload on the chip until sent', async () => {
    const calls: { method: string; input: Record<string, unknown> }[] = [];
    const listeners = new Set<(e: WispEvent) => void>();
    let finish: (value: unknown) => void = () => undefined;
    const record =
      (method: string, value: (input: Record<string, unknown>) => unknown) =>
      async (input: Record<string, unknown>) => {
        calls.push({ method, input });
        return { ok: true, value: value(input) };
      };
    const bridge = {
      app: { info: async () => ({ ok: true, value: { capabilities: { fileDialogs: true } } }) },
      attachments: {
        stage: record('stage', () => ({ uploadId: 'up-1' })),
        stageChunk: record('stageChunk', (i) => ({ received: i.offset })),
        send: (input: Record<string, unknown>) => {
          calls.push({ method: 'send', input });
          return new Promise((resolve) => {
            finish = resolve;
          });
        },
      },
      onEvent: (l: (e: WispEvent) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    } as unknown as WispBridge;
    const client = createClient(bridge);
    const handle: { api?: ReturnType<typeof useAttachments> } = {};
    function Sender() {
      const api = useAttachments(client);
      useEffect(() => {
        handle.api = api;
      });
      const u = api.uploading;
      return u === null ? null : (
        <AttachmentChip name={u.name} size={u.size} progress={u.progress} onRemove={() => {}} />
      );
    }
    render(<Sender />);
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => i & 0xff);
    const file = new File([bytes], 'big.bin');
    let sent: Promise<unknown> = Promise.resolve();
    await act(async () => {
      sent = handle.api!.send(file, { to: 'bob', text: 'caption' });
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(calls.map((c) => c.method)).toEqual(['stage', 'stageChunk', 'stageChunk', 'send']);
    expect(calls[0]!.input).toEqual({ fileName: 'big.bin', size: 300_000 });
    expect(calls.slice(1, 3).map((c) => c.input.offset)).toEqual([0, STAGE_CHUNK_BYTES]);
    const staged = Buffer.concat(calls.slice(1, 3).map((c) => Buffer.from(c.input.data as string, 'base64')));
    expect(staged.equals(Buffer.from(bytes))).toBe(true);
    expect(calls[3]!.input).toEqual({ to: 'bob', text: 'caption', uploadId: 'up-1' });

    act(() =>
      listeners.forEach((l) =>
        l({
          type: 'attachment.progress',
          progress: { id: 'up-1', direction: 'upload', bytes: 50, total: 100, done: false },
        }),
      ),
    );
    // Staging done (30 % of the bar) and half the upload (half of the other 70 %).
    expect(
      Number(screen.getByRole('progressbar', { name: 'Uploading big.bin' }).getAttribute('value')),
    ).toBeCloseTo(0.65);
    await act(async () => {
      finish({ ok: true, value: messageView({ outgoing: true }) });
      await sent;
    });
    expect(screen.queryByRole('progressbar', { name: 'Uploading big.bin' })).toBeNull();
  });
});

describe('AttachmentLightbox', () => {
  it('is a named dialog that focuses Close and closes on Escape', () => {
    const onClose = vi.fn();
    render(<AttachmentLightbox url="blob:test/9" mime="image/png" name="cat.png" onClose={onClose} />);
    const dialog = screen.getByRole('dialog', { name: 'cat.png' });
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });
});

describe('byte helpers', () => {
  it('round-trip base64 over chunk boundaries and format sizes', () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(formatBytes(912)).toBe('912 B');
    expect(formatBytes(14_200)).toBe('14 KB');
    expect(formatBytes(3_200_000)).toBe('3.2 MB');
  });
});
