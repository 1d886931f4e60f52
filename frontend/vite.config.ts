import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The backend (`heimdall serve`) listens on 127.0.0.1:8000 in development; the built app is served by it at `/`.
const backend = 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': backend,
      '/metrics': backend,
      '/ws': { target: backend.replace('http', 'ws'), ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // MapLibre (lazy, map pages only) is one ~1.1 MB module that cannot be split further.
    chunkSizeWarningLimit: 1200,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    testTimeout: 30_000,
  },
});
