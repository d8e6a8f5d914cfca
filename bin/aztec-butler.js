#!/usr/bin/env node
// Entry point: runs the esbuild bundle in dist/ (built by `npm ci` through the `prepare` script,
// or `npm run build`). In a checkout whose src/ is newer than the bundle, it refuses with exit 78
// rather than run stale code; an installed package ships no src/ and starts without that check.
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const bundle = new URL("dist/cli.js", root);
const sources = new URL("src/", root);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? "/" : ""), dir);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Why dist/ cannot be run, or undefined when it can. */
function bundleProblem() {
  if (!existsSync(bundle)) return "dist/cli.js is missing";
  if (!existsSync(sources)) return undefined;
  const built = statSync(bundle).mtimeMs;
  const newest = Math.max(newestMtime(sources), statSync(new URL("package.json", root)).mtimeMs);
  return built < newest ? "dist/ is older than src/ (or package.json)" : undefined;
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

const problem = bundleProblem();
if (problem) {
  process.stderr.write(`error: ${problem}; run \`npm run build\` in ${new URL(root).pathname}\n`);
  process.exit(78);
}
const { main } = await import(bundle.href);
await main(process.argv);
