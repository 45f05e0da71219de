// vitest global setup of the core and relay projects: builds the bundles bin/wisp.mjs and
// bin/wisp-relay.mjs run (out/cli, out/relay), so tests that spawn the CLI or the relay run the
// current sources on a clean checkout too. The build is esbuild's and takes a fraction of a second.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export default function setup(project: TestProject): void {
  // Each project builds only the program it spawns, so two projects starting together never
  // rewrite the same files.
  const target = project.name === 'relay' ? 'relay' : 'cli';
  execFileSync(process.execPath, ['node-bundles.config.mjs', target], { cwd: ROOT, stdio: 'inherit' });
}
