// Turns a thrown error into what a person reads: the engine's message (ErrorNote capitalises it
// in CSS) and a recovery phrased for the app. The engine's own recovery hints are written for the CLI (they
// name environment variables and flags), so the kinds a UI user meets get app wording instead.
import { WispError, type WispErrorKind } from '../../common/errors';

export interface UiError {
  message: string;
  recovery?: string | undefined;
}

const APP_RECOVERY: Partial<Record<WispErrorKind, string>> = {
  WrongPassphrase: 'Check the passphrase (it is case-sensitive) and try again.',
  NotFound: 'Check the spelling. Usernames are 3–32 letters, digits, dots, dashes or underscores.',
  UsernameTaken: 'Pick another username.',
  RelayUnavailable: 'Check your connection and the relay address, then try again.',
  RelayRateLimited: 'Wait a moment, then try again.',
  KeychainUnavailable: 'Choose “A passphrase I type” instead.',
  Locked: 'Unlock Wisp, then try again.',
  ProfileInUse: 'Close the other Wisp window or command that uses this profile, then try again.',
  IdentityChanged: 'Compare safety numbers with them over a channel you trust before you send.',
};

export function asUiError(error: unknown): UiError {
  if (error instanceof WispError) {
    const message = error.message.trim() === '' ? 'Something went wrong.' : error.message;
    return { message, recovery: APP_RECOVERY[error.kind] ?? error.recovery };
  }
  return { message: 'Something went wrong.', recovery: 'Try again. If it keeps happening, restart Wisp.' };
}
