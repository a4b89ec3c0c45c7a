import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { SERVICE_SLUGS } from '../src/catalog.js';

// The web app, built into dist/web and served by the gateway at /. `npm run dev:web` serves it with
// hot reload and passes API calls to a running server (PHA_API_URL, default http://127.0.0.1:8080).
const api = process.env.PHA_API_URL ?? 'http://127.0.0.1:8080';
const apiPaths = [...SERVICE_SLUGS.map((slug) => `/${slug}/`), '/health', '/ready', '/docs'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Every asset is a file of its own: the gateway's CSP allows no data: URIs and no inline code.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api }])),
  },
});
