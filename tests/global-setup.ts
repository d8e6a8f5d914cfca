import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { aztecL1Snapshot } from "./support/aztec-l1.js";

/**
 * Builds dist/ once before the tests, so the CLI the tests spawn is the bundle operators run
 * (and starts without a TypeScript loader); and makes sure the deployed Aztec L1 every test chain
 * starts from is cached (deployed once, a few seconds, when the cache is cold).
 */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  await aztecL1Snapshot();
}
