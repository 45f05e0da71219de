// This account's own safety-number half: the 30 digits that appear in every safety number it
// shares with a contact (libsignal's displayable fingerprint is the two parties' halves, sorted).
import { Fingerprint, type PublicKey } from '@signalapp/libsignal-client';
import { uuidBytes } from './ids';

/** The same iteration count and version as every pairwise safety number (engine.ts). */
const SAFETY_NUMBER_ITERATIONS = 5200;

export function ownSafetyDigits(accountId: string, identityKey: PublicKey): string {
  // With ourselves on both sides the two halves are equal, so the first 30 digits are our half.
  const id = uuidBytes(accountId);
  const fingerprint = Fingerprint.new(SAFETY_NUMBER_ITERATIONS, 2, id, identityKey, id, identityKey);
  return fingerprint.displayableFingerprint().toString().slice(0, 30);
}
