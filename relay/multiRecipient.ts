// Splits a multi-recipient sealed sender message (Sealed Sender v2 "SentMessage") the way
// libsignal's messageForRecipient does — 0x22 ‖ the recipient's range ‖ the shared data — but
// without copying the shared data once per recipient: each recipient keeps its small header, and
// the shared data is stored once for all of them (types.ts SharedPayload, PROTOCOL.md).
import type SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { WispError } from '../common/errors';
import type { SharedPayload } from './storage/types';

type Recipient = ReturnType<SealedSenderMultiRecipientMessage['recipientsByServiceIdString']>[string];

/** The "original" Sealed Sender v2 version byte a received message starts with. */
const RECEIVED_VERSION = 0x22;

const invalid = () => new WispError('InvalidInput', 'payload is not a multi-recipient sealed sender message');

export interface SplitMessage {
  shared: SharedPayload;
  /** One recipient's header: payload ‖ shared.bytes is what messageForRecipient would give. */
  headerFor(recipient: Recipient): Uint8Array;
}

/**
 * The shared part and a header maker for `message`. The layout is libsignal's (its JS
 * messageForRecipient); the first header is checked against messageForRecipient itself, so a
 * libsignal that changed it refuses the send instead of storing envelopes no one can open.
 */
export function splitMessage(message: SealedSenderMultiRecipientMessage): SplitMessage {
  const buffer = message._buffer;
  const offset = message._offsetOfSharedData;
  if (!Number.isInteger(offset) || offset < 0 || offset > buffer.byteLength) throw invalid();
  const shared: SharedPayload = { bytes: buffer.subarray(offset) };
  let checked = false;
  return {
    shared,
    headerFor(recipient) {
      const r = recipient as Recipient & { rangeOffset?: number; rangeLen?: number };
      const start = r.rangeOffset;
      const len = r.rangeLen;
      if (start === undefined || len === undefined || start < 0 || len < 0 || start + len > offset)
        throw invalid();
      const header = new Uint8Array(1 + len);
      header[0] = RECEIVED_VERSION;
      header.set(buffer.subarray(start, start + len), 1);
      if (!checked) {
        let whole: Uint8Array;
        try {
          whole = message.messageForRecipient(recipient);
        } catch {
          throw invalid();
        }
        const ours = Buffer.concat([header, shared.bytes]);
        if (!ours.equals(whole)) throw new WispError('Internal', 'multi-recipient layout changed');
        checked = true;
      }
      return header;
    },
  };
}
