#!/usr/bin/env node
// `wisp-relay`: runs the bundle that `npm run build:relay` (and `npm install`, through `prepare`)
// writes to out/relay, with plain Node.
import { existsSync } from 'node:fs';

const bundle = new URL('../out/relay/main.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'wisp-relay: the relay is not built (out/relay/main.js is missing)\nRun `npm run build:relay`.\n',
  );
  process.exit(1);
}
await import(bundle.href);
