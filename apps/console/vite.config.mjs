// The console's build: `node scripts/build-console.js` (npm run build, npm start and the test
// tiers' global setup call it). Output: dist/apps/console, served by the catalog at /console.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react()],
  resolve: {
    // The rules the region picker shows are the domain's own (judgeDestination, nameLength).
    alias: { '@snapferry/domain': here('../../libs/domain/src/index.ts') },
  },
  build: {
    outDir: here('../../dist/apps/console'),
    emptyOutDir: true,
    sourcemap: true,
    // Nothing inline: the catalog serves these pages with a strict Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
