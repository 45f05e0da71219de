// Starts tests/helpers/profile/holdProfile.ts in a separate Node process and waits until it holds
// the profile, so a test can contend with a real second process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOLDER = fileURLToPath(new URL('./holdProfile.ts', import.meta.url));

export interface Holder {
  readonly child: ChildProcess;
  /** SIGKILL (no clean-up code runs in the child) and wait until the process has exited. */
  kill9(): Promise<void>;
}

export function spawnHolder(profileDir: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, profileDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const holder: Holder = {
    child,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('held\n')) resolve(holder);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`profile holder exited (${code ?? signal}) before holding: ${stderr}`)),
    );
  });
}
