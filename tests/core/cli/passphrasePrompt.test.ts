// The no-echo prompt's line editing (cli/passphrase.ts promptHidden) on in-process streams; the
// real terminal (raw mode, no echo) is driven through a pty in wispPassphrase.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { promptHidden } from '../../../cli/passphrase';

function terminal() {
  const input = new PassThrough() as PassThrough & NodeJS.ReadStream;
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  return { input, output, shown: () => shown };
}

describe('promptHidden', () => {
  it('erases with backspace, clears with Ctrl-U, and takes two answers typed in one burst', async () => {
    const t = terminal();
    const answers = promptHidden(t, ['one: ', 'two: ']);
    t.input.write('secrex\u007ft\rgarbage\u0015sécret 2\n');
    expect(await answers).toEqual(['secret', 'sécret 2']);
    expect(t.shown()).toBe('one: \ntwo: \n');
  });

  it('cancels with InvalidInput on Ctrl-C, and when the input ends before Enter', async () => {
    const interrupted = terminal();
    const first = promptHidden(interrupted, ['Passphrase: ']);
    interrupted.input.write('half\u0003');
    await expect(first).rejects.toMatchObject({
      kind: 'InvalidInput',
      message: 'passphrase entry cancelled',
    });

    const closed = terminal();
    const second = promptHidden(closed, ['Passphrase: ']);
    closed.input.end('no enter');
    await expect(second).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
});
