// Where the CLI gets the profile passphrase, first match wins: --passphrase-file FILE,
// --passphrase-fd N, $WISP_PASSPHRASE, then a prompt on the terminal that does not echo (asked twice
// when the profile is created). Never from argv: every local user can read a process's arguments.
import { closeSync, openSync, readSync } from 'node:fs';
import { WispError } from '../common/errors';

/** Longer input is refused rather than read on (a wrong --passphrase-file could name /dev/zero). */
export const MAX_PASSPHRASE_BYTES = 4096;

const OPTIONS_HINT =
  'Give it with --passphrase-file FILE, --passphrase-fd N or WISP_PASSPHRASE, or run wisp on a terminal to be asked.';

export interface PassphraseOptions {
  /** --passphrase-file */
  file?: string | undefined;
  /** --passphrase-fd, as typed */
  fd?: string | undefined;
  /** $WISP_PASSPHRASE */
  env?: string | undefined;
  /** Creating a profile: a typed passphrase is asked twice. */
  confirm: boolean;
  /** The terminal to prompt on; defaults to stdin/stderr when stdin is a TTY. */
  terminal?: Terminal | null;
}

export interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WritableStream;
}

function empty(source: string): WispError {
  return new WispError('InvalidInput', `the passphrase from ${source} is empty`, { recovery: OPTIONS_HINT });
}

/** The text of a passphrase file or pipe: UTF-8, one trailing line break dropped, nothing else touched. */
function passphraseText(bytes: Buffer, source: string): string {
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw empty(source);
  return text;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads `fd` to its end, refusing more than MAX_PASSPHRASE_BYTES. A descriptor inherited in
 * non-blocking mode answers EAGAIN until the writer has written: we wait and read again.
 */
async function readAll(fd: number, source: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(MAX_PASSPHRASE_BYTES + 1 - total);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        await wait(10);
        continue;
      }
      throw new WispError('InvalidInput', `could not read the passphrase from ${source}`, {
        recovery: OPTIONS_HINT,
        cause: error,
      });
    }
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > MAX_PASSPHRASE_BYTES) {
      throw new WispError(
        'InvalidInput',
        `the passphrase from ${source} is longer than ${MAX_PASSPHRASE_BYTES} bytes`,
        {
          recovery: 'Check that the option names the passphrase file or descriptor.',
        },
      );
    }
  }
}

async function fromFile(path: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new WispError('InvalidInput', 'could not open the --passphrase-file', {
      recovery: 'Check the path given to --passphrase-file.',
      cause: error,
    });
  }
  try {
    return passphraseText(await readAll(fd, '--passphrase-file'), '--passphrase-file');
  } finally {
    closeSync(fd);
  }
}

async function fromFd(raw: string): Promise<string> {
  if (!/^\d{1,9}$/.test(raw)) {
    throw new WispError('InvalidInput', '--passphrase-fd takes a file descriptor number', {
      recovery: 'For example `wisp sync --passphrase-fd 3 3<passphrase.txt`.',
    });
  }
  const fd = Number(raw);
  try {
    return passphraseText(await readAll(fd, '--passphrase-fd'), '--passphrase-fd');
  } finally {
    // Our copy is done with; stdin/stdout/stderr stay open for the rest of the command.
    if (fd > 2) {
      try {
        closeSync(fd);
      } catch {
        // Already closed or never open: nothing of ours to release.
      }
    }
  }
}

const ENTER = new Set(['\r', '\n']);
const ERASE = new Set(['\u007f', '\b']);

/**
 * Asks each prompt in turn on a terminal in raw mode (so nothing typed is echoed) and returns the
 * lines typed. Backspace erases, Ctrl-U clears, Ctrl-C or Ctrl-D on an empty line cancels.
 */
export function promptHidden(terminal: Terminal, prompts: readonly string[]): Promise<string[]> {
  const { input, output } = terminal;
  return new Promise((resolve, reject) => {
    const answers: string[] = [];
    let typed: string[] = [];
    const finish = (error: WispError | null): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      if (error) reject(error);
      else resolve(answers);
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (ENTER.has(c)) {
          output.write('\n');
          answers.push(typed.join(''));
          typed = [];
          if (answers.length === prompts.length) return finish(null);
          output.write(prompts[answers.length]!);
        } else if (c === '\u0003' || (c === '\u0004' && typed.length === 0)) {
          output.write('\n');
          return finish(
            new WispError('InvalidInput', 'passphrase entry cancelled', { recovery: OPTIONS_HINT }),
          );
        } else if (ERASE.has(c)) {
          typed.pop();
        } else if (c === '\u0015') {
          typed = [];
        } else if (c >= ' ') {
          typed.push(c);
        }
      }
    };
    // The terminal went away before Enter: nothing more can be typed.
    const onEnd = (): void =>
      finish(
        new WispError('InvalidInput', 'the terminal closed before the passphrase was entered', {
          recovery: OPTIONS_HINT,
        }),
      );
    if (input.isTTY) input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    output.write(prompts[0]!);
    input.resume();
  });
}

function defaultTerminal(): Terminal | null {
  return process.stdin.isTTY ? { input: process.stdin, output: process.stderr } : null;
}

async function fromTerminal(terminal: Terminal, confirm: boolean): Promise<string> {
  const prompts = confirm ? ['New passphrase: ', 'Repeat the passphrase: '] : ['Passphrase: '];
  const [first, second] = await promptHidden(terminal, prompts);
  if (first === undefined || first.length === 0) throw empty('the prompt');
  if (confirm && first !== second) {
    throw new WispError('InvalidInput', 'the two passphrases differ', {
      recovery: 'Run the command again and type the same passphrase twice.',
    });
  }
  return first;
}

/** The passphrase by the documented precedence: file > fd > environment > terminal prompt. */
export async function resolvePassphrase(options: PassphraseOptions): Promise<string> {
  if (options.file !== undefined) return fromFile(options.file);
  if (options.fd !== undefined) return fromFd(options.fd);
  if (options.env !== undefined && options.env.length > 0) return options.env;
  const terminal = options.terminal === undefined ? defaultTerminal() : options.terminal;
  if (terminal === null) {
    throw new WispError(
      'InvalidInput',
      '--keystore passphrase needs a passphrase: --passphrase-file, --passphrase-fd, WISP_PASSPHRASE, or a terminal to type it on',
      { recovery: OPTIONS_HINT },
    );
  }
  return fromTerminal(terminal, options.confirm);
}
