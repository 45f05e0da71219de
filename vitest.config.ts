// Test tiers (STYLE.md item 10): one vitest project per folder under tests/.
// e2e runs under Playwright, not here.
import { defineConfig } from 'vitest/config';

const slow = { testTimeout: 120_000, hookTimeout: 120_000 };
// Tests that spawn `wisp` or `wisp-relay` run the built bundles: build them first.
const buildBundles = ['tests/helpers/build/bundles.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'core',
          include: ['tests/core/**/*.test.ts'],
          environment: 'node',
          ...slow,
          globalSetup: buildBundles,
        },
      },
      {
        test: {
          name: 'relay',
          include: ['tests/relay/**/*.test.ts'],
          environment: 'node',
          ...slow,
          globalSetup: buildBundles,
        },
      },
      {
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'renderer',
          include: ['tests/renderer/**/*.test.tsx'],
          environment: 'jsdom',
          setupFiles: ['tests/renderer/jsdomDialog.ts'],
        },
      },
      {
        // One file at a time: several of them build out/ (electron-vite) and must not race.
        test: {
          name: 'electron',
          include: ['tests/electron/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          ...slow,
        },
      },
    ],
  },
});
