/**
 * Runs the real CLI (`node bin/aztec-butler.js …`) as an operator would, in an isolated
 * environment (no inherited configuration, HOME and XDG dirs in a private temp dir), and measures
 * wall time and the child's peak resident set size.
 *
 * Peak RSS: under GNU time (`/usr/bin/time -f %M -o <file>`), which reports the kernel's
 * ru_maxrss of the node process after it exited: exact, and it covers every thread (key
 * derivation workers included). Without /usr/bin/time, /proc/<pid>/status VmHWM (the kernel's
 * high-water mark of the same number) is polled every 10 ms; that can miss a peak reached in the
 * last few milliseconds, so the report says which method was used.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { splitTimings, type CliTimings } from "./timings.js";

export const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const CLI_ENTRY = join(PROJECT_ROOT, "bin", "aztec-butler.js");
const GNU_TIME = "/usr/bin/time";

export type RssMethod = "GNU time (ru_maxrss)" | "/proc VmHWM polling";

export const rssMethod: RssMethod =
  existsSync(GNU_TIME) &&
  spawnSync(GNU_TIME, ["-f", "%M", "true"], { encoding: "utf8" }).status === 0
    ? "GNU time (ru_maxrss)"
    : "/proc VmHWM polling";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak RSS of the CLI process in KiB. */
  peakRssKb: number;
  /** stderr without the timings line (bench/timings.ts), which is in `timings`. */
  stderr: string;
  /** stdout, only when asked for (it holds the private keys). */
  stdout?: string;
  /** The CLI's own timings line, when AZTEC_BUTLER_BENCH_TIMINGS=1 made it write one. */
  timings?: CliTimings;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  keepStdout?: boolean;
  timeoutMs?: number;
  /** Node's own options before the bin (`--import <preload>`). */
  nodeOptions?: readonly string[];
}

/** An isolated environment: PATH, a private HOME and XDG dirs, and the given configuration. */
export function isolatedEnv(base: string, config: Record<string, string>): Record<string, string> {
  const home = mkdtempSync(join(base, "home-"));
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    SHELL: "/bin/sh",
    NO_COLOR: "1",
    ...config,
  };
}

/** `node bin/aztec-butler.js …args`, measured. */
export function runCli(args: readonly string[], options: RunOptions): Promise<CliRun> {
  return runNode([...(options.nodeOptions ?? []), CLI_ENTRY, ...args], options);
}

/** `node …argv` (the CLI, or `node -e 0` to compare it with), measured. */
export async function runNode(argv: readonly string[], options: RunOptions): Promise<CliRun> {
  mkdirSync(options.cwd, { recursive: true });
  const rssFile = join(mkdtempSync(join(options.cwd, ".rss-")), "maxrss");
  const useTime = rssMethod === "GNU time (ru_maxrss)";
  const command = useTime ? GNU_TIME : process.execPath;
  const spawnArgs = useTime ? ["-f", "%M", "-o", rssFile, process.execPath, ...argv] : [...argv];

  const started = performance.now();
  // stdout carries the private keys (the secret-store stand-in): discarded, to /dev/null, unless
  // asked for.
  const child = spawn(command, spawnArgs, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", options.keepStdout ? "pipe" : "ignore", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));

  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
          const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
          if (kb > polledKb) polledKb = kb;
        } catch {
          // exited between polls
        }
      }, 10);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);

  const { code, signal } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  if (poll) clearInterval(poll);

  let peakRssKb = polledKb;
  if (useTime) {
    // GNU time prints "Command exited with non-zero status N" before the format on failure.
    const lines = readFileSync(rssFile, "utf8").trim().split("\n");
    peakRssKb = Number(lines.at(-1));
  }
  return {
    code,
    signal,
    wallMs,
    peakRssKb,
    ...splitTimings(stderr),
    ...(options.keepStdout ? { stdout } : {}),
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether bin/aztec-butler.js will run the bundle in dist/ (the same test bin/ makes). */
export function bundleIsFresh(): boolean {
  try {
    const built = statSync(join(PROJECT_ROOT, "dist", "cli.js")).mtimeMs;
    return (
      built >= newestMtime(join(PROJECT_ROOT, "src")) &&
      built >= statSync(join(PROJECT_ROOT, "package.json")).mtimeMs
    );
  } catch {
    return false;
  }
}

/**
 * Makes sure the CLI can run its esbuild bundle, as an installed copy does (the bin refuses a
 * dist/ older than src/): rebuilds dist/ (`scripts/build.mjs`, what `npm run build`
 * runs) when src/ is newer. Returns whether a build was needed.
 */
export function ensureFreshBundle(): boolean {
  if (bundleIsFresh()) return false;
  const build = spawnSync(process.execPath, [join(PROJECT_ROOT, "scripts", "build.mjs")], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  if (!bundleIsFresh()) throw new Error("dist/ is still older than src/ after building");
  return true;
}

/**
 * Runs process-private-keys for `file` with stderr on a pseudo-terminal (util-linux `script`).
 * Asynchronous: the proxy the CLI talks to lives in this process's event loop. `code` is null
 * when `script` cannot be started.
 */
export async function runOnPseudoTerminal(
  file: string,
  output: string,
  cwd: string,
  env: Record<string, string>,
) {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI_ENTRY, "process-private-keys", file, "-o", output]
    .map(quote)
    .join(" ");
  // stdout (the private keys) goes to /dev/null inside; the pseudo-terminal then carries stderr only.
  const child = spawn("script", ["-qec", `${command} >/dev/null`, "/dev/null"], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let terminal = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (terminal += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (terminal += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(null));
    child.once("close", resolve);
  });
  clearTimeout(timer);
  return { code, terminal };
}
