// electron-vite build of the three Electron parts from the repo root (TOOLCHAIN.md recipe):
// main (ESM), the sandboxed preload (CommonJS, everything bundled), the renderer (shared config).
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import { rendererConfig } from './vite.renderer.config';

const at = (path: string) => resolve(import.meta.dirname, path);

export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      // Native addons (keytar is an optional dependency) must stay packages, never bundled.
      externalizeDeps: { include: ['keytar'] },
      rolldownOptions: { input: { index: at('main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      // A sandboxed preload cannot require() packages: bundle zod and the contract into it.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: at('preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(at('out/renderer')),
});
