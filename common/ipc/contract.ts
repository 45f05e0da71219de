// The machinery every IPC service shares (STYLE.md item 2): a service is a set of methods, each with
// a runtime schema for its one argument and for its result; channel names derive from the names.
import { z } from 'zod';
import { WispError, type WispErrorKind } from '../errors';

/** Prefix of every channel, so Wisp's channels can never collide with Electron's or a library's. */
export const CHANNEL_PREFIX = 'wisp:';

/** The one main→renderer channel; every event carries its `type`. */
export const EVENT_CHANNEL = `${CHANNEL_PREFIX}event`;

export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Schema of the single argument; `z.undefined()` for methods that take none. */
  readonly input: I;
  readonly output: O;
}

export type ServiceSpec = Readonly<Record<string, MethodSpec>>;

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSpec<I, O> {
  return { input, output };
}

/** Methods without an argument are called with none: `wisp.app.info()`. */
export const noInput = z.undefined();

/** The TypeScript interface a service spec describes, as callers see it (defaults still optional). */
export type ServiceInterface<S extends ServiceSpec> = {
  [M in keyof S]: S[M]['input'] extends z.ZodUndefined
    ? () => Promise<z.output<S[M]['output']>>
    : (input: z.input<S[M]['input']>) => Promise<z.output<S[M]['output']>>;
};

/** What a handler implements: it receives the argument after validation (defaults filled in). */
export type ServiceImplementation<S extends ServiceSpec> = {
  [M in keyof S]: S[M]['input'] extends z.ZodUndefined
    ? () => Promise<z.output<S[M]['output']>>
    : (input: z.output<S[M]['input']>) => Promise<z.output<S[M]['output']>>;
};

export function channelOf(service: string, methodName: string): string {
  return `${CHANNEL_PREFIX}${service}.${methodName}`;
}

/** Errors cross IPC as data: Electron and contextBridge drop an Error's own fields, and `kind` matters. */
export const IpcError = z.object({
  kind: z.string() as z.ZodType<WispErrorKind>,
  message: z.string(),
  recovery: z.string().optional(),
});
export type IpcError = z.infer<typeof IpcError>;

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** The bridge form of a service: what the preload (and the harness) expose, results wrapped. */
export type BridgeInterface<S extends ServiceSpec> = {
  [M in keyof S]: S[M]['input'] extends z.ZodUndefined
    ? () => Promise<IpcResult<z.output<S[M]['output']>>>
    : (input: z.input<S[M]['input']>) => Promise<IpcResult<z.output<S[M]['output']>>>;
};

export function toIpcError(error: unknown): IpcError {
  if (error instanceof WispError) {
    return error.recovery === undefined
      ? { kind: error.kind, message: error.message }
      : { kind: error.kind, message: error.message, recovery: error.recovery };
  }
  // Anything else is a bug on our side; its message may hold internals, so it stays in main.
  return { kind: 'Internal', message: 'internal error' };
}

export function fromIpcError(error: IpcError): WispError {
  return new WispError(
    error.kind,
    error.message,
    error.recovery === undefined ? undefined : { recovery: error.recovery },
  );
}

/** Unwraps a bridge result into the value, or throws the typed WispError it carried. */
export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw fromIpcError(result.error);
}

/** For calls a backend does not implement yet: honest and typed, never a fake success. */
export function notImplemented(what: string): WispError {
  return new WispError('NotImplemented', `${what} is not implemented yet`, {
    recovery: 'This part of Wisp is still being built; try again with a newer version.',
  });
}
