// Vite build of the web app into dist/, which lsf-server serves at / (WEB_DIR).
// Hashed names under assets/ let the server mark them immutable; scripts/compress.mjs
// then writes the .br/.gz variants it picks by Accept-Encoding.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    minify: 'terser',
    rollupOptions: {
      output: {
        manualChunks: {
          vendor: ['react', 'react-dom', 'react-router-dom'],
          ui: ['react-toastify'],
        },
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    port: 5173,
    strictPort: true,
    // Keep the browser's Host header (no changeOrigin): the server refuses a
    // state-changing request whose Origin names another host (CSRF check).
    proxy: { '/api': { target: 'http://localhost:4000' } },
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.js'],
  },
});
