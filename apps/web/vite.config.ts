import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The dashboard is served by the API at `/` (apps/api/src/static.ts), so it calls the API on its own
 * origin. `npm run dev --workspace apps/web` proxies /api to an API on port 3000 (`npm start`).
 */
export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: a single entry chunk loads faster than a waterfall of tiny ones.
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/docs': 'http://localhost:3000' } },
});
