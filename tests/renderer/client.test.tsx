// The renderer's client over `window.wisp`: results unwrap to values, and an error that crossed
// IPC as data comes back as the typed WispError with its kind and recovery hint.
import { describe, expect, it } from 'vitest';
import { WispError } from '../../common/errors';
import type { WispBridge } from '../../common/ipc';
import { createClient } from '../../renderer/ipc/client';

function bridgeAnswering(answers: Record<string, unknown>): { bridge: WispBridge; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const service = (name: string) =>
    new Proxy(
      {},
      {
        get:
          (_t, method: string) =>
          async (...args: unknown[]) => {
            calls.push([`${name}.${method}`, ...args]);
            return answers[`${name}.${method}`];
          },
      },
    );
  const bridge = {
    app: service('app'),
    account: service('account'),
    conversations: service('conversations'),
    contacts: service('contacts'),
    settings: service('settings'),
    onEvent: () => () => undefined,
  } as unknown as WispBridge;
  return { bridge, calls };
}

describe('createClient', () => {
  it('unwraps values and passes the single argument through', async () => {
    const { bridge, calls } = bridgeAnswering({ 'account.status': { ok: true, value: { state: 'none' } } });
    const client = createClient(bridge);
    expect(await client.account.status()).toEqual({ state: 'none' });
    expect(calls).toEqual([['account.status']]);
  });

  it('throws the typed error that crossed the bridge', async () => {
    const { bridge } = bridgeAnswering({
      'account.unlock': {
        ok: false,
        error: { kind: 'WrongPassphrase', message: 'wrong passphrase', recovery: 'Try again.' },
      },
    });
    const error = await createClient(bridge)
      .account.unlock({ passphrase: 'nope nope' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WispError);
    expect(error).toMatchObject({ kind: 'WrongPassphrase', recovery: 'Try again.' });
  });
});
