import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { aliases } from "../vitest.config.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The studio: root editor/, built to editor/dist, which `infix serve` serves with the token injected. */
export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [react()],
  resolve: { alias: aliases },
  build: { outDir: here("./dist"), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    // `infix serve` listens on 8188 by default; the dev server forwards API and socket traffic there.
    proxy: {
      "/api": "http://127.0.0.1:8188",
      "/socket.io": { target: "http://127.0.0.1:8188", ws: true },
    },
  },
});
