// The shared dispatcher: what main/ and the harness both run before a service sees a call.
import { describe, expect, it } from 'vitest';
import type { WispServices } from '../../../common/ipc';
import { createDispatcher } from '../../../core/services';

/** Only the methods a test calls; the dispatcher must never reach the others. */
function servicesWith(overrides: Partial<Record<string, unknown>>): WispServices {
  const calls: string[] = [];
  const conversations = {
    markSeen: async () => {
      calls.push('markSeen');
      return overrides.markSeen;
    },
    markSeenMany: async () => {
      calls.push('markSeenMany');
      return overrides.markSeenMany;
    },
  };
  return { conversations, calls } as unknown as WispServices;
}

describe('createDispatcher', () => {
  it('refuses an unknown channel', async () => {
    const dispatch = createDispatcher(servicesWith({}));
    expect(await dispatch('wisp:shell.exec', [])).toEqual({
      ok: false,
      error: { kind: 'InvalidInput', message: 'unknown IPC channel' },
    });
  });

  it('names the failing field without echoing the value', async () => {
    const dispatch = createDispatcher(servicesWith({}));
    const result = await dispatch('wisp:conversations.markSeen', [{ messageId: 'x'.repeat(500) }]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe('InvalidInput');
      expect(result.error.message).toContain('messageId');
      expect(result.error.message).not.toContain('xxxxxxxxxx');
    }
  });

  it('never passes on a result that breaks the contract', async () => {
    const dispatch = createDispatcher(servicesWith({ markSeen: { id: 'm1', text: 42 } }));
    expect(await dispatch('wisp:conversations.markSeen', [{ messageId: 'm1' }])).toEqual({
      ok: false,
      error: { kind: 'Internal', message: 'internal error' },
    });
  });

  it('refuses a markSeenMany batch that is empty, over 200 ids or not a list of ids, before the service runs', async () => {
    const services = servicesWith({ markSeenMany: [] });
    const dispatch = createDispatcher(services);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
    for (const messageIds of [[], ids(201), ['ok', 'x'.repeat(500)], 'm1', [42]]) {
      const result = await dispatch('wisp:conversations.markSeenMany', [{ messageIds }]);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.kind).toBe('InvalidInput');
    }
    expect((services as unknown as { calls: string[] }).calls).toEqual([]);
    expect(await dispatch('wisp:conversations.markSeenMany', [{ messageIds: ids(200) }])).toEqual({
      ok: true,
      value: [],
    });
    expect((services as unknown as { calls: string[] }).calls).toEqual(['markSeenMany']);
  });
});
