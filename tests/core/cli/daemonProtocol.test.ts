// `wisp daemon`'s JSON-RPC 2.0 framing against the spec's edge cases, on a real daemon process over
// stdio: parse error, invalid request, batches, notifications without id, unknown methods and params.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliWorld } from '../../helpers/engine/cli';
import {
  startStdioDaemon,
  type DaemonProcess,
  type RpcClient,
  type RpcMessage,
} from '../../helpers/engine/daemonClient';

const { profile } = useCliWorld(['dave']);

describe('wisp daemon JSON-RPC framing', () => {
  let daemon: DaemonProcess & { client: RpcClient };
  let client: RpcClient;
  /** The next line the daemon answers after `count` lines had been received. */
  const lineAfter = async (count: number): Promise<RpcMessage | RpcMessage[]> => {
    const answers = () =>
      client.received.slice(count).filter((m) => Array.isArray(m) || m.method === undefined);
    await client.waitUntil(() => answers().length > 0);
    return answers()[0]!;
  };
  const answerTo = async (line: string): Promise<RpcMessage | RpcMessage[]> => {
    const before = client.received.length;
    client.sendLine(line);
    return lineAfter(before);
  };

  beforeAll(async () => {
    daemon = await startStdioDaemon(profile('dave'));
    client = daemon.client;
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('answers a line that is not JSON with -32700 and id null, and keeps reading', async () => {
    expect(await answerTo('{"jsonrpc":"2.0","method":"contacts",')).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
    expect((await client.request('contacts')).result).toEqual([]);
  });

  it('answers invalid request objects with -32600', async () => {
    for (const bad of [
      '1',
      '"contacts"',
      '{"id":1,"method":"contacts"}', // no jsonrpc member
      '{"jsonrpc":"1.0","id":2,"method":"contacts"}',
      '{"jsonrpc":"2.0","id":3,"method":7}',
      '{"jsonrpc":"2.0","id":{"x":1},"method":"contacts"}',
      '{"jsonrpc":"2.0","id":4,"method":"contacts","params":"x"}',
      '[]', // an empty batch is one invalid request, not an empty answer
    ]) {
      const answer = (await answerTo(bad)) as RpcMessage;
      expect(answer.error?.code, bad).toBe(-32600);
    }
    const withId = (await answerTo('{"jsonrpc":"1.0","id":"keep","method":"contacts"}')) as RpcMessage;
    expect(withId.id).toBe('keep');
  });

  it('answers unknown methods with -32601 and bad params with -32602, data naming the Wisp kind', async () => {
    expect((await client.request('frobnicate')).error).toMatchObject({ code: -32601 });
    expect((await client.request('init', { relay: 'ws://x' })).error).toMatchObject({ code: -32601 });
    expect((await client.request('backup.export', { out: 'x.age' })).error).toMatchObject({ code: -32601 });
    expect((await client.request('daemon')).error).toMatchObject({ code: -32601 });
    for (const params of [
      ['bob', 'hi'],
      { to: 'bob', text: 'hi', bogus: 1 },
      { to: 'bob', text: ['hi'] },
      { profile: '/tmp/x' },
    ]) {
      expect((await client.request('send', params)).error, JSON.stringify(params)).toMatchObject({
        code: -32602,
        data: { kind: 'InvalidInput' },
      });
    }
    // A required option missing: the command's own InvalidInput, also -32602.
    expect((await client.request('messages', {})).error).toMatchObject({
      code: -32602,
      data: { kind: 'InvalidInput', message: '--with is required' },
    });
  });

  it('refuses a line over 1 MiB with -32700 without buffering it, and keeps reading after it', async () => {
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 'huge',
      method: 'send',
      params: { to: 'x', text: 'a'.repeat(1_200_000) },
    });
    expect(await answerTo(huge)).toMatchObject({ id: null, error: { code: -32700 } });
    expect(client.received.some((m) => !Array.isArray(m) && m.id === 'huge')).toBe(false);
    expect((await client.request('contacts')).result).toEqual([]);
  });

  it('answers nothing to a notification (no id), even one that fails', async () => {
    const before = client.received.length;
    client.sendLine('{"jsonrpc":"2.0","method":"frobnicate"}');
    client.sendLine('{"jsonrpc":"2.0","method":"send","params":{"bogus":true}}');
    client.sendLine('{"jsonrpc":"2.0","id":"after","method":"contacts"}');
    expect(await lineAfter(before)).toMatchObject({ id: 'after', result: [] });
    expect(
      client.received.slice(before).filter((m) => Array.isArray(m) || m.method === undefined),
    ).toHaveLength(1);
  });

  it('answers a batch with one array holding an answer per request, none for notifications', async () => {
    const answer = await answerTo(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'contacts' },
        { jsonrpc: '2.0', method: 'contacts' },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
        1,
        { jsonrpc: '2.0', id: 'c', method: 'room.list' },
      ]),
    );
    expect(answer).toEqual([
      { jsonrpc: '2.0', id: 'a', result: [] },
      {
        jsonrpc: '2.0',
        id: 'b',
        error: { code: -32601, message: 'Method not found', data: { method: 'nope' } },
      },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } },
      { jsonrpc: '2.0', id: 'c', result: [] },
    ]);
    // A batch of notifications only gets no answer at all.
    const before = client.received.length;
    client.sendLine(
      JSON.stringify([
        { jsonrpc: '2.0', method: 'contacts' },
        { jsonrpc: '2.0', method: 'conversations' },
      ]),
    );
    client.sendLine('{"jsonrpc":"2.0","id":"next","method":"contacts"}');
    expect(await lineAfter(before)).toMatchObject({ id: 'next' });
  });
});
