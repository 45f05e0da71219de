// Plain Vite build of renderer/ (into dist-web/) for the browser harness and Playwright, and the
// shared renderer settings electron.vite.config.ts reuses, so both builds are the same page.
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { CONTENT_SECURITY_POLICY } from './main/csp';

const root = resolve(import.meta.dirname, 'renderer');

/** Puts the CSP in the built page too (build only: the dev server's React refresh needs inline script). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'wisp-csp',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace(
        '<meta charset="UTF-8" />',
        `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`,
      ),
  };
}

export function rendererConfig(outDir: string): UserConfig {
  return {
    root,
    base: '/',
    plugins: [react(), contentSecurityPolicy()],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'chrome130',
      // No eval-based source maps, and none shipped: the CSP forbids eval and maps reveal source.
      sourcemap: false,
      rolldownOptions: { input: resolve(root, 'index.html') },
    },
  };
}

export default defineConfig(rendererConfig(resolve(import.meta.dirname, 'dist-web')));
