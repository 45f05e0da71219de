// Why an age file was refused, in the categories of the age spec's test kit (C2SP CCTV), plus
// `Truncated` split out of payload failures so that a file cut short can be told apart.

export type AgeFailure =
  /** Not an age file at all (no `age-encryption.org/` first line). */
  | 'NotAge'
  /** An age file of a version other than v1. */
  | 'UnsupportedVersion'
  /** The header does not parse, or a stanza is malformed for its type. */
  | 'Header'
  /** No identity or passphrase given opens any stanza. */
  | 'NoMatch'
  /** A file key opened but the header MAC does not match: the header was changed. */
  | 'Hmac'
  /** A payload chunk fails authentication, is misplaced or followed by trailing data. */
  | 'Payload'
  /** The file ends before its final chunk (or inside the header). */
  | 'Truncated';

export class AgeError extends Error {
  readonly failure: AgeFailure;
  constructor(failure: AgeFailure, message: string) {
    super(message);
    this.name = 'AgeError';
    this.failure = failure;
  }
}

export function isAgeError(value: unknown, failure?: AgeFailure): value is AgeError {
  return value instanceof AgeError && (failure === undefined || value.failure === failure);
}
