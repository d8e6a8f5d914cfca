// Bundles src/ into dist/ with esbuild (well under a second), so the CLI starts without a
// TypeScript loader: `npm ci` runs this as the `prepare` step; bin/aztec-butler.js runs dist/ only
// (and refuses, saying to run `npm run build`, when src/ is newer). The workers are entries of
// their own: worker threads start dist/<worker>.js, also when the CLI runs from src/ (tests).
//
// The bundles carry their dependencies (viem, zod, commander, …), tree-shaken: loading them
// starts the CLI, and each key-derivation worker, in a fraction of the time Node takes to resolve
// and load viem's hundreds of modules.
import { build } from "esbuild";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
const shared = {
  absWorkingDir: root,
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Secret Manager's client (google-gax) loads its .proto files from its own directory at run time,
  // and tiny-secp256k1 (the derivation worker's libsecp256k1) its WebAssembly.
  // prom-client (status --metrics-file only, ~30 ms to load) stays out of the bundle every
  // command parses: it is imported from node_modules when a metrics file is written.
  // Aztec's code is bundled into the workers that run it: resolving its modules one by one cost
  // the derivation worker about 100 ms of its start-up (@aztec/foundation's BN254 code, @aztec/bb.js)
  // and the node-keystore check's about 350 ms (@aztec/node-keystore). What it would load relative
  // to itself is not needed there: Barretenberg's WebAssembly is passed by path (see below), and
  // the logger's transport thread is never started (derive-keys-worker.ts).
  external: ["@google-cloud/*", "google-gax", "prom-client", "tiny-secp256k1"],
  // Bundled CommonJS modules (dotenv) call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  sourcemap: "linked",
  logLevel: "warning",
};
await build({
  ...shared,
  entryPoints: { cli: "src/cli/main.ts" },
  // Each command's module is a chunk of its own, loaded by the runs of that command only (main.ts);
  // chunks sit beside the entries, so a worker's URL (worker-entry.ts) is the same from any chunk.
  splitting: true,
  chunkNames: "[name]-[hash]",
});
// The workers are bundles of their own, each one file holding only what it uses: built with the
// CLI, they shared its chunks, and a derivation worker parsed 1.5 MB of them (all of viem that
// any command uses) before its first eth key.
await build({
  ...shared,
  entryPoints: {
    "derive-keys-worker": "src/core/keys/derive-keys-worker.ts",
    "node-keystore-check-worker": "src/core/files/node-keystore-check-worker.ts",
  },
  splitting: false,
});

// Barretenberg's WebAssembly ships gzipped, and @aztec/bb.js inflates it with pako (JavaScript)
// each time a thread loads it: about 90 ms of CPU for every derivation worker. Inflated once here,
// the workers hand it to BarretenbergSync.initSingleton as wasmPath (derive-keys.ts).
const bbWasm = fileURLToPath(
  new URL(
    "barretenberg_wasm/barretenberg-threads.wasm.gz",
    import.meta.resolve("@aztec/bb.js").replace(/index\.js$/, ""),
  ),
);
writeFileSync(`${root}dist/barretenberg-threads.wasm`, gunzipSync(readFileSync(bbWasm)));
