// `npm test`: the type check (tsc --noEmit) and the tests (vitest run) at the same time, so the
// type check no longer adds its half minute (cold) before the first test starts. tsc runs at a
// lower priority: the tests keep the cores, and tsc uses what they leave while they wait on
// anvil and child processes. Fails when either fails; tsc's findings are printed after the
// tests' output, not interleaved with it. Arguments go to vitest (`npm test -- tests/unit`).
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;

function run(command, args, { capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", (error) => resolve({ code: 1, output: `${String(error)}\n` }));
    child.on("close", (code, signal) => resolve({ code: code ?? 1, signal, output }));
    if (capture) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // Not permitted here: tsc simply shares the cores.
      }
    }
  });
}

const started = Date.now();
const typecheck = run(
  bin("tsc"),
  ["--noEmit", "--incremental", "--tsBuildInfoFile", "node_modules/.cache/tsc/tsbuildinfo"],
  { capture: true },
).then((result) => ({ ...result, seconds: (Date.now() - started) / 1000 }));
const tests = await run(bin("vitest"), ["run", ...process.argv.slice(2)]);
const types = await typecheck;

if (types.code === 0) {
  console.log(`type check (tsc --noEmit): no errors, ${types.seconds.toFixed(1)} s`);
} else {
  process.stdout.write(types.output);
  console.log(`type check (tsc --noEmit) failed with exit code ${types.code}`);
}
process.exitCode = tests.code !== 0 ? tests.code : types.code;
