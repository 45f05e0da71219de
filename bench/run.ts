// Runs every benchmark (bench/*.bench.ts) in its own process, one after another so they do not
// compete for the two cores, and passes through the JSON lines each one prints.
// Each line carries the value measured and the baseline measured beside it in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(JSON.stringify({ bench: file, error: `exited with ${result.status}` }) + '\n');
  }
}
process.exitCode = failed === 0 ? 0 : 1;
