// Which connection creates an attachment on the relay: the one that never authenticated, paid with
// tokens from the send wallet (one per started MiB), whenever the message it belongs to goes to
// someone we can reach without identity; otherwise (no key, no tokens, a relay without the op) the
// account's connection, as before. The upload itself (an HTTP PUT with the upload token) is the same
// either way. docs/PROTOCOL.md, "Attachments"; docs/SECURITY.md.
import { isWispError } from '../../common/errors';
import { attachmentTokenCost, type OpBody, type OpResult } from '../../common/wire';
import { loggerFor } from '../log';
import { RelayRequestError } from '../relayClient/relayClient';
import type { RouteCounts, SealedRouteDeps, TokenSource } from './sealedRoute';
import { b64 } from './signalCrypto';

const log = loggerFor('engine');

type CreateBody = OpBody<'attachment.create'>;
type Created = OpResult<'attachment.create'>;

export class AttachmentRoute {
  /** How many attachments were created each way (tests read it through Engine.uploadRoutes). */
  readonly counts: RouteCounts = { sealed: 0, authenticated: 0 };

  constructor(private readonly d: SealedRouteDeps) {}

  /** Creates the attachment for a message to `recipients` (the conversation's other members). */
  async create(recipients: readonly string[], body: CreateBody): Promise<Created> {
    const source = this.d.tokens();
    // Sealed only when the message itself can go so to someone: otherwise the relay sees the
    // sender's account send it anyway, and the tokens would buy nothing.
    if (source !== null && recipients.some((r) => this.d.deliveryKeys.theirs(r) !== null)) {
      const tokens = await take(source, attachmentTokenCost(body.size));
      if (tokens !== null) {
        const created = await this.sealed(source, tokens, body);
        if (created !== null) return created;
      }
    }
    const created = await this.d.relayClient().request('attachment.create', body);
    this.counts.authenticated++;
    return created;
  }

  /** The sealed create; null (after saying why) when it should be retried the authenticated way. */
  private async sealed(source: TokenSource, tokens: Uint8Array[], body: CreateBody): Promise<Created | null> {
    const sealedBody = { ...body, tokens: tokens.map(b64) };
    try {
      let created: Created;
      try {
        created = await this.d.sealedRelay().request('attachment.createSealed', sealedBody);
      } catch (error) {
        // The sealed connection is reopened on demand: one more try if it had dropped.
        if (!isWispError(error, 'RelayUnavailable')) throw error;
        created = await this.d.sealedRelay().request('attachment.createSealed', sealedBody);
      }
      this.counts.sealed++;
      return created;
    } catch (error) {
      if (!(error instanceof RelayRequestError)) {
        // No answer: the tokens may have been spent; the account connection may still work.
        log.info(
          { kind: isWispError(error) ? error.kind : 'Internal' },
          'attachment without identity failed',
        );
        return null;
      }
      // A refused token is gone, and after an internal error the relay may have spent them; every
      // other refusal comes before it spends (an older relay without the op answers InvalidInput),
      // so those tokens go back to the wallet.
      if (error.reason !== 'token' && error.kind !== 'Internal') source.restore?.(tokens);
      // Too large is too large on either connection: the same error as before.
      if (error.kind === 'PayloadTooLarge') throw error;
      log.info(
        { kind: error.kind, reason: error.reason },
        'attachment without identity refused; creating it authenticated',
      );
      return null;
    }
  }
}

/** Exactly `n` tokens from the wallet, or null (and none kept) when it cannot give them. */
async function take(source: TokenSource, n: number): Promise<Uint8Array[] | null> {
  try {
    const tokens = await source.take(n);
    if (tokens.length === n) return tokens;
    source.restore?.(tokens);
  } catch (error) {
    log.info({ kind: isWispError(error) ? error.kind : 'Internal' }, 'no tokens for the attachment');
  }
  return null;
}
