// The one place an IPC call is checked before it reaches a service: known channel, at most one
// argument, argument valid against the contract's schema; the result is checked on the way out.
// main/'s handler wrapper and the harness's WebSocket server both call this, after their own
// sender checks, so the browser harness exercises the same validation as the desktop app.
import { type z } from 'zod';
import { WispError } from '../../common/errors';
import { channelEntry, toIpcError, type IpcResult, type WispServices } from '../../common/ipc';
import { loggerFor } from '../log';

const log = loggerFor('ipc');

/** A readable summary of schema failures: paths and rules only, never the rejected values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export type Dispatcher = (channel: string, args: readonly unknown[]) => Promise<IpcResult<unknown>>;

export function createDispatcher(services: WispServices): Dispatcher {
  return async (channel, args) => {
    const entry = channelEntry(channel);
    if (entry === undefined) {
      return { ok: false, error: { kind: 'InvalidInput', message: 'unknown IPC channel' } };
    }
    if (args.length > 1) {
      return { ok: false, error: { kind: 'InvalidInput', message: `${channel} takes at most one argument` } };
    }
    const input = entry.spec.input.safeParse(args[0]);
    if (!input.success) {
      return {
        ok: false,
        error: {
          kind: 'InvalidInput',
          message: `invalid arguments for ${channel}: ${describeIssues(input.error)}`,
        },
      };
    }
    try {
      const service = services[entry.service] as unknown as Record<
        string,
        (input: unknown) => Promise<unknown>
      >;
      const handler = service[entry.method];
      if (handler === undefined) throw new WispError('Internal', `no handler for ${channel}`);
      const raw = await handler.call(service, input.data);
      const output = entry.spec.output.safeParse(raw);
      if (!output.success) {
        // The engine returned something the contract does not allow: a bug, never passed on.
        log.error({ label: channel, issues: describeIssues(output.error) }, 'IPC result failed its schema');
        return { ok: false, error: { kind: 'Internal', message: 'internal error' } };
      }
      return { ok: true, value: output.data };
    } catch (error) {
      if (!(error instanceof WispError)) log.error({ label: channel, err: error }, 'IPC handler failed');
      return { ok: false, error: toIpcError(error) };
    }
  };
}
