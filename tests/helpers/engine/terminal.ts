// Runs the real `wisp` CLI on a pseudo-terminal, through util-linux `script`, and types answers to
// its prompts: what a person at a terminal does, without a native pty module.
import { spawn } from 'node:child_process';
import { WISP_BIN } from './cli';

export interface TerminalAnswer {
  /** Text the CLI writes before it waits for input. */
  prompt: string;
  /** Typed after the prompt, followed by Enter. */
  type: string;
}

export interface TerminalResult {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr of the CLI, and any echo). */
  screen: string;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `wisp …args` with its stdin, stdout and stderr on a fresh pty (`script -qfec CMD /dev/null`).
 * Each answer is typed once its prompt has appeared since the previous answer. `env` entries set to
 * undefined are removed. Gives up (killing script) if the CLI neither exits nor prompts in 60 s.
 */
export function runOnTerminal(
  args: string[],
  answers: TerminalAnswer[],
  env: Record<string, string | undefined> = {},
): Promise<TerminalResult> {
  const command = [process.execPath, WISP_BIN, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, WISP_LOG_LEVEL: 'error', SHELL: '/bin/sh', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let screen = '';
    let seen = 0;
    let next = 0;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI on the terminal stalled; screen so far: ${JSON.stringify(screen)}`));
    }, 60_000);
    const onOutput = (d: Buffer): void => {
      screen += d.toString('utf8');
      const answer = answers[next];
      if (answer === undefined) return;
      const at = screen.indexOf(answer.prompt, seen);
      if (at === -1) return;
      seen = at + answer.prompt.length;
      next += 1;
      child.stdin.write(`${answer.type}\r`);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, screen });
    });
  });
}
