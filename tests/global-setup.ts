import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { deployAztecL1SnapshotMeanwhile } from "./support/aztec-l1.js";

/**
 * Builds dist/ once before the tests, so the CLI the tests spawn is the bundle operators run
 * (and starts without a TypeScript loader); and, when the cache of the deployed Aztec L1 every
 * test chain starts from is cold, starts deploying it (about 5 s) while the unit tests run.
 */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  await deployAztecL1SnapshotMeanwhile();
}
