// Attachments of received and sent messages: saving one to a file or reading it into memory for a
// preview, fetched from the relay (through the relay route) when not yet local; one download each.
import { WispError } from '../../common/errors';
import type { Store } from '../store';
import type { RelayRoute } from '../relayClient/relayRoute';
import { downloadAttachment, type TransferProgress } from './attachments';

/** What attachment access needs from the engine. */
export interface AttachmentAccessDeps {
  readonly store: Store;
  readonly relayRoute: RelayRoute;
  assertOpen(): void;
  destroyOverdue(): Promise<void>;
}

export class AttachmentAccess {
  /** Downloads under way by attachment id (see localAttachment). */
  private readonly attachmentFetches = new Map<string, Promise<void>>();

  constructor(private readonly d: AttachmentAccessDeps) {}

  async saveAttachment(
    messageId: string,
    attachmentId: string,
    outPath: string,
    onProgress?: TransferProgress,
  ): Promise<void> {
    await this.localAttachment(messageId, attachmentId, Number.MAX_SAFE_INTEGER, onProgress);
    await this.d.store.attachments.saveFileTo(attachmentId, outPath);
  }

  async readAttachment(
    messageId: string,
    attachmentId: string,
    maxBytes: number,
    onProgress?: TransferProgress,
  ): Promise<Buffer> {
    await this.localAttachment(messageId, attachmentId, maxBytes, onProgress);
    // Decrypted from the encrypted-at-rest copy straight into memory (bounded by the check above).
    return this.d.store.attachments.readFile(attachmentId);
  }

  /** Checks the attachment belongs to the message and is at most `maxBytes`; fetches it if not local. */
  private async localAttachment(
    messageId: string,
    attachmentId: string,
    maxBytes: number,
    onProgress?: TransferProgress,
  ): Promise<void> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    const attachment = this.d.store.attachments.get(attachmentId);
    if (!attachment || attachment.messageId !== messageId)
      throw new WispError('NotFound', 'no such attachment');
    if (attachment.size > maxBytes) {
      throw new WispError('PayloadTooLarge', 'the attachment is too large to preview', {
        recovery: 'Save the file instead.',
      });
    }
    if (attachment.localPath !== null) return;
    if (!attachment.blobId || !attachment.remoteKey || !attachment.digest) {
      throw new WispError('NotFound', 'the attachment cannot be fetched');
    }
    // A preview and a save at once share one download: a second copy adopted meanwhile would wipe
    // the first while it is being read.
    let fetching = this.attachmentFetches.get(attachmentId);
    if (fetching === undefined) {
      const { blobId, remoteKey, digest, size } = attachment;
      fetching = (async () => {
        const file = await downloadAttachment(
          this.d.relayRoute,
          blobId,
          remoteKey,
          digest,
          size,
          this.d.store.attachments.folder,
          attachmentId,
          onProgress,
        );
        this.d.store.attachments.adoptFile(attachmentId, file);
      })().finally(() => this.attachmentFetches.delete(attachmentId));
      this.attachmentFetches.set(attachmentId, fetching);
    }
    await fetching;
  }
}
