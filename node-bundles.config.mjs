// Bundles the two Node programs, `wisp` (cli/) and `wisp-relay` (relay/), into plain JavaScript under
// out/cli and out/relay so bin/ runs them with bare Node (no TypeScript transpiling at every start).
// Usage: node node-bundles.config.mjs [--if-available] [cli] [relay]   (both when none is named)
// `prepare` passes --if-available: an install without dev dependencies (`npm ci --omit=dev`, where
// esbuild is absent) keeps the bundles it has, or warns, instead of failing the whole install.
//
// Every npm package stays external: native addons (libsignal, SQLCipher, keytar) cannot be bundled,
// and the rest load from node_modules only when a command needs them. Code splitting keeps each
// dynamic import() its own chunk, so `wisp --help` never evaluates the engine.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** @type {Record<string, { entry: string, outdir: string }>} */
const TARGETS = {
  cli: { entry: 'cli/main.ts', outdir: 'out/cli' },
  relay: { entry: 'relay/cli.ts', outdir: 'out/relay' },
};

/** Every file under dir, as paths relative to it. */
function filesUnder(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

async function bundle(build, name) {
  const { entry, outdir } = TARGETS[name];
  const result = await build({
    write: false,
    absWorkingDir: root,
    entryPoints: { main: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Each file lands by rename, chunks before the entry: a `wisp` starting while a build runs (the
  // test suites build in their global setup) reads either the old program or the new one, never
  // half a file.
  const dir = join(root, outdir);
  const entryFile = join(dir, 'main.js');
  const outputs = [...result.outputFiles].sort(
    (a, b) => Number(a.path === entryFile) - Number(b.path === entryFile),
  );
  for (const file of outputs) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  // Chunks of earlier builds (their names carry a content hash) are not left to pile up.
  const current = new Set(outputs.map((f) => relative(dir, f.path)));
  for (const stale of filesUnder(dir)) if (!current.has(stale)) rmSync(join(dir, stale), { force: true });
}

const args = process.argv.slice(2);
const ifAvailable = args.includes('--if-available');
const wanted = args.filter((a) => a !== '--if-available');
const names = wanted.length === 0 ? Object.keys(TARGETS) : wanted;
for (const name of names) {
  if (!(name in TARGETS)) {
    process.stderr.write(`unknown bundle ${name}; known: ${Object.keys(TARGETS).join(', ')}\n`);
    process.exit(2);
  }
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  if (!ifAvailable) throw error;
  const missing = names.filter((n) => !existsSync(join(root, TARGETS[n].outdir, 'main.js')));
  process.stderr.write(
    missing.length === 0
      ? 'esbuild is not installed (no dev dependencies): keeping the existing out/cli and out/relay bundles\n'
      : `esbuild is not installed (no dev dependencies): ${missing.join(' and ')} not built; build them where dev dependencies are installed (npm run build:cli / build:relay)\n`,
  );
  process.exit(0);
}
await Promise.all(names.map((name) => bundle(esbuild.build, name)));
