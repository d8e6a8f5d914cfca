import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Builds dist/ once before the tests, so the CLI the tests spawn is the bundle operators run
 * (and starts without a TypeScript loader).
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
}
