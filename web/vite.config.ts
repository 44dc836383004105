import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The build is package data of the Python package: 'runhistory ui' and 'runhistory server' serve it.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "../src/runhistory/ui",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 300,
  },
  server: {
    // 'npm run dev' against a server on 8000 ('runhistory ui --port 8000').
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
