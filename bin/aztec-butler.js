#!/usr/bin/env node
// Entry point. Runs the bundle in dist/ (built by `npm ci` through the `prepare` script) when it
// is newer than every source file; otherwise runs src/ through tsx, so an edited checkout never
// runs stale code.
import { readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);

function newestSourceMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? "/" : ""), dir);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(new URL("dist/cli.js", root)).mtimeMs;
    return (
      built >= newestSourceMtime(new URL("src/", root)) &&
      built >= statSync(new URL("package.json", root)).mtimeMs
    );
  } catch {
    return false;
  }
}

// Anything that escapes the CLI's own error handling is a bug: exit 70 (never Node's 1).
const fatal = (error) => {
  try {
    process.stderr.write(
      `internal error (a bug in aztec-butler; please report it with this output):\n${error?.stack ?? error}\n`,
    );
  } catch {
    // stderr itself is gone: the code still says what happened.
  }
  process.exit(70);
};
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

let main;
if (process.env.AZTEC_BUTLER_FROM_SOURCE !== "1" && bundleIsFresh()) {
  ({ main } = await import("../dist/cli.js"));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
await main(process.argv);
