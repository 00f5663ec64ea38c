import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the dashboard into the server's dist/ui, served at /ui. @willow/client is bundled from its TypeScript
 * sources (the same package users get, without needing its CommonJS build first); JSX is Preact's.
 */
export default defineConfig({
  root: here('.'),
  base: '/ui/',
  resolve: { alias: { '@willow/client': here('../clients/typescript/src/index.ts') } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/ui'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
