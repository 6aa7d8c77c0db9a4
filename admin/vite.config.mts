import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  // `npx vite admin` serves the console with the gateway on :8015 behind it, for working on its looks.
  server: { proxy: { '/graphql': { target: 'http://localhost:8015', ws: true } } },
  oxc: { jsx: { runtime: 'automatic', development: mode === 'development' } },
  // React's production build, whatever NODE_ENV the building process has (a test runner sets "test").
  define: { 'process.env.NODE_ENV': JSON.stringify(mode === 'development' ? 'development' : 'production') },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
}));
