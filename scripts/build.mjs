// Bundles src/ into dist/ with esbuild (well under a second), so the CLI starts without a
// TypeScript loader: `npm ci` runs this as the `prepare` step; bin/aztec-butler.js runs dist/ only
// (and refuses, saying to run `npm run build`, when src/ is newer). The workers are entries of
// their own: worker threads start dist/<worker>.js, also when the CLI runs from src/ (tests).
//
// The bundles carry their dependencies (viem, zod, commander, …), tree-shaken: loading one file
// starts the CLI, and each key-derivation worker, in a fraction of the time Node takes to resolve
// and load viem's hundreds of modules. Aztec's packages stay outside: they load WebAssembly and
// data files relative to themselves, and are only loaded when needed.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    cli: "src/cli/main.ts",
    "derive-keys-worker": "src/core/keys/derive-keys-worker.ts",
    "node-keystore-check-worker": "src/core/files/node-keystore-check-worker.ts",
  },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Secret Manager's client (google-gax) loads its .proto files from its own directory at run time.
  // prom-client (status --metrics-file only, ~30 ms to load) stays out of the bundle every
  // command parses: it is imported from node_modules when a metrics file is written.
  external: ["@aztec/*", "@google-cloud/*", "google-gax", "prom-client"],
  // Bundled CommonJS modules (dotenv) call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  sourcemap: "linked",
  logLevel: "warning",
});
