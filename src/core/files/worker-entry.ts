import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The file a worker thread runs: dist/<name>.js, the worker's esbuild bundle. In the bundled CLI
 * this module is part of dist/cli.js, so the worker sits beside it; run from src/ (vitest, tsx)
 * it is the same dist/ file, which tests/global-setup.ts builds first — a worker thread cannot
 * load TypeScript without a loader, and the bundle starts faster than Node resolving viem.
 */
export function workerEntryUrl(name: "derive-keys-worker" | "node-keystore-check-worker"): URL {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(fromSource ? `../../../dist/${name}.js` : `./${name}.js`, import.meta.url);
  if (fromSource && !existsSync(url)) {
    throw new Error(`${fileURLToPath(url)} is missing; run \`npm run build\` first`);
  }
  return url;
}
