// Built into dist/, which `zhurnal serve` serves at /app/ beside the API (same origin).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  // `npm run dev` against `make demo` on port 8000.
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true }, "/exports": "http://127.0.0.1:8000" } },
});
