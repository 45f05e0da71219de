#!/usr/bin/env node
// `wisp`, the headless client: runs the bundle that `npm run build:cli` (and `npm install`, through
// `prepare`) writes to out/cli, with plain Node.
import { existsSync } from 'node:fs';

const bundle = new URL('../out/cli/main.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'wisp: Internal: the CLI is not built (out/cli/main.js is missing)\nRun `npm run build:cli`.\n',
  );
  process.exit(1);
}
await import(bundle.href);
