// attachment.createSealed: an attachment created on a connection that never authenticated, so the
// relay cannot tie the upload (and the download of its id later) to the sender's account. Paid with
// one anonymous token per started MiB; no owner is stored. docs/PROTOCOL.md, "Attachments".
import { WispError } from '../common/errors';
import { attachmentPath, attachmentTokenCost, type OpResult, type ParsedOpBody } from '../common/wire';
import { coarseDeadline } from '../common/coarseTime';
import type { RelayContext } from './context';
import { randomBase64Url, sha256 } from './identity';
import { limit, TOKEN_REFUSED, verified, type SealedSession } from './sealed';

export async function createSealedAttachment(
  ctx: RelayContext,
  s: SealedSession,
  body: ParsedOpBody<'attachment.createSealed'>,
): Promise<OpResult<'attachment.createSealed'>> {
  if (body.size > ctx.limits.maxAttachmentBytes) {
    throw new WispError(
      'PayloadTooLarge',
      `attachments are limited to ${ctx.limits.maxAttachmentBytes} bytes`,
    );
  }
  // Exactly the price: fewer would store for free, more would burn tokens the client meant to keep.
  const cost = attachmentTokenCost(body.size);
  if (body.tokens.length !== cost) {
    throw new WispError('InvalidInput', `an attachment of ${body.size} bytes costs ${cost} tokens`, {
      recovery: 'present one token per started MiB of the declared size',
    });
  }
  limit(ctx, s, 1);
  const now = ctx.now();
  const latest = now + ctx.limits.attachmentRetentionMs;
  const deadline = Math.min(body.expiresAt ?? latest, latest);
  if (deadline <= now) throw new WispError('InvalidInput', 'expiresAt is already in the past');
  const expiresAt = coarseDeadline(deadline);
  // The checks message.sendSealed makes (relay/sealed.ts), then the spend recorded durably before
  // the attachment row: a token found spent stores nothing; a crash in between loses the tokens,
  // never stores an unpaid attachment.
  const spent = await verified(ctx, body.tokens);
  if (!spent) throw TOKEN_REFUSED();
  if ((await ctx.storage.spendTokens(spent)) >= 0) throw TOKEN_REFUSED();
  const attachmentId = randomBase64Url(32);
  const uploadToken = randomBase64Url(32);
  // No owner: the per-account quota cannot apply; the tokens, the size cap and the retention bound it.
  await ctx.storage.createAttachment(
    { id: attachmentId, tokenHash: sha256(uploadToken), declaredSize: body.size, expiresAt, ownerHash: null },
    { maxBytes: ctx.limits.maxAccountAttachmentBytes, now },
  );
  return {
    attachmentId: attachmentId as OpResult<'attachment.createSealed'>['attachmentId'],
    uploadPath: attachmentPath(attachmentId),
    uploadToken,
    expiresAt,
  };
}
