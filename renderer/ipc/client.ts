// Turns the bridge (`window.wisp`, results wrapped as {ok, value|error}) into the service interfaces
// renderer code calls, throwing the typed WispError that crossed IPC as data.
import { WispError } from '../../common/errors';
import { channels, unwrap, type WispBridge, type WispClient } from '../../common/ipc';

export function createClient(bridge: WispBridge): WispClient {
  const client: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
  const bridgeServices = bridge as unknown as Record<
    string,
    Record<string, (input?: unknown) => Promise<unknown>>
  >;
  for (const { service, method } of channels) {
    const call = bridgeServices[service]?.[method];
    const target = (client[service] ??= {});
    target[method] = async (input?: unknown) => {
      if (call === undefined) throw new WispError('Internal', `window.wisp.${service}.${method} is missing`);
      return unwrap((await (input === undefined ? call() : call(input))) as never);
    };
  }
  return {
    ...(client as unknown as Omit<WispClient, 'onEvent'>),
    onEvent: (listener) => bridge.onEvent(listener),
  };
}

/** The client for this page, or null when no bridge was provided (the page was opened on its own). */
export function clientFromWindow(): WispClient | null {
  return window.wisp === undefined ? null : createClient(window.wisp);
}
