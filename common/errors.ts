// Typed error kinds shared by every part of Wisp (STYLE.md item 8). Each kind carries a stable
// `kind` string that crosses IPC and the CLI's JSON output, and a user-facing recovery hint.
// Messages must never contain secrets or message text.

export type WispErrorKind =
  | 'InvalidInput'
  | 'KeychainUnavailable'
  | 'WrongPassphrase'
  | 'WrongKey'
  | 'DatabaseCorrupt'
  | 'ProfileNotFound'
  | 'ProfileExists'
  | 'ProfileInUse'
  | 'Locked'
  | 'NotImplemented'
  | 'NotFound'
  | 'Unauthorized'
  | 'UsernameTaken'
  | 'RelayUnavailable'
  | 'RelayRateLimited'
  | 'RelayQueueFull'
  | 'PayloadTooLarge'
  | 'IdentityChanged'
  | 'DecryptionFailed'
  | 'BackupCorrupt'
  | 'BackupTruncated'
  | 'BackupWrongKey'
  | 'BackupNotAge'
  | 'BackupUnsupportedVersion'
  | 'BackupWrongKind'
  | 'BackupCancelled'
  | 'AccountMoved'
  /** An anonymous-send token is malformed, of an unknown or expired key, or does not verify. */
  | 'TokenInvalid'
  /** An anonymous-send token was already spent (a replay or a double spend). */
  | 'TokenSpent'
  /** The account's daily allowance of anonymous-send tokens is used up (renews at 00:00 UTC). */
  | 'TokensExhausted'
  | 'Internal';

export class WispError extends Error {
  readonly kind: WispErrorKind;
  /** What the user can do about it, phrased for a person. */
  readonly recovery: string | undefined;

  constructor(kind: WispErrorKind, message: string, options?: { recovery?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = kind;
    this.kind = kind;
    this.recovery = options?.recovery;
  }

  toJSON(): { kind: WispErrorKind; message: string; recovery?: string } {
    return this.recovery === undefined
      ? { kind: this.kind, message: this.message }
      : { kind: this.kind, message: this.message, recovery: this.recovery };
  }
}

export function isWispError(value: unknown, kind?: WispErrorKind): value is WispError {
  return value instanceof WispError && (kind === undefined || value.kind === kind);
}
