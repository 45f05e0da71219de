// The kind of the error an action fails with, for tests that assert on typed failures: a
// WispError's kind, any other error as a string, undefined when the action succeeds.
import { isWispError } from '../../common/errors';

const kindOfError = (error: unknown): string => (isWispError(error) ? error.kind : String(error));

export function kindOf(fn: () => unknown): string | undefined;
export function kindOf(promise: Promise<unknown>): Promise<string | undefined>;
export function kindOf(
  action: (() => unknown) | Promise<unknown>,
): string | undefined | Promise<string | undefined> {
  if (typeof action !== 'function') return kindOfSettled(action, () => undefined);
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    return kindOfError(error);
  }
  if (result instanceof Promise)
    throw new Error('kindOf: pass the promise itself, not a function returning it');
  return undefined;
}

/** kindOf for a promise of something to close (a profile): closes it when the promise resolves. */
export function kindOfClosing(promise: Promise<{ close(): void }>): Promise<string | undefined> {
  return kindOfSettled(promise, (value) => value.close());
}

async function kindOfSettled<T>(
  promise: Promise<T>,
  onValue: (value: T) => void,
): Promise<string | undefined> {
  try {
    onValue(await promise);
  } catch (error) {
    return kindOfError(error);
  }
  return undefined;
}
