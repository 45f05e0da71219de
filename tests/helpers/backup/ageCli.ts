// Drives Debian's `age` CLI (/usr/bin/age) for interop tests. `age -p` reads the passphrase from a
// terminal only, so passphrase runs go through `script` (a pty) and answer each prompt as it appears.
import { spawn } from 'node:child_process';

export const AGE_CLI = process.env.WISP_AGE_CLI ?? '/usr/bin/age';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs age with plain arguments (recipients, identity files): no terminal needed. */
export function runAge(args: string[], stdin?: Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(AGE_CLI, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs age inside a pty (`script -qfec`) and types `passphrase` at every passphrase prompt
 * ("Enter passphrase", "Confirm passphrase"). Use `-o FILE`: the pty mixes stdout with prompts.
 */
export function runAgeWithPassphrase(args: string[], passphrase: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const command = [AGE_CLI, ...args].map(shellQuote).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let answered = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const prompts = stdout.match(/passphrase[^:\n]*:/gi)?.length ?? 0;
      while (answered < prompts) {
        answered++;
        child.stdin.write(`${passphrase}\n`);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}
