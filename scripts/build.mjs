// Bundles src/ into dist/ with esbuild (about 0.1 s), so the CLI starts without a TypeScript
// loader: `npm ci` runs this as the `prepare` step; bin/aztec-butler.js uses dist/ while it is
// newer than every file in src/, and falls back to running src/ through tsx otherwise.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: "src/cli/main.ts", "derive-keys-worker": "src/core/derive-keys-worker.js" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
