import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
export const cliEntry = join(projectRoot, "bin", "aztec-butler.js");
/**
 * Preloaded (`node --import`) into every run the tests spawn, unless `kdf: "aztec"`, and into
 * vitest's forks (vitest.config.ts): keystores written with cheap KDF parameters. See
 * src/core/keys/keystore-kdf.ts.
 */
export const cheapKdfPreload = join(projectRoot, "tests", "support", "test-only-cheap-kdf.mjs");

/**
 * How Node starts the CLI for a test: the bin, behind the cheap-KDF preload unless `kdf` is
 * "aztec" (the tests of the keystores' real parameters).
 */
export function cliArgv(args: readonly string[], kdf: "cheap" | "aztec" = "cheap"): string[] {
  return [...(kdf === "cheap" ? ["--import", cheapKdfPreload] : []), cliEntry, ...args];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run in milliseconds. */
  ms: number;
  /**
   * In-process runs only: the error the run failed with (what reportError printed), by its class
   * name, code and location; undefined when the run did not fail or was spawned.
   */
  error?: ThrownError;
}

/** A run's error as tests compare it: a ButlerError's class, code and location. */
export interface ThrownError {
  /** The class: "InputError", "RpcUnavailableError", …; "Error" for a bug. */
  name: string;
  /** The ButlerError's code (undefined for anything else). */
  code?: string;
  file?: string;
  index?: number;
  field?: string;
  /** The whole message, location included: what the `error:` line says. */
  message: string;
}

function thrownError(error: unknown): ThrownError {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const { code, location } = error as { code?: unknown; location?: Record<string, unknown> };
  return {
    name: error.name,
    code: typeof code === "string" ? code : undefined,
    ...(location as Pick<ThrownError, "file" | "index" | "field"> | undefined),
    message: error.message,
  };
}

/**
 * Runs the real CLI in a child process, as an operator would. The environment is isolated: no
 * inherited config keys, and HOME / XDG dirs point into a private temp dir unless given.
 */
export async function runCli(
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    /** Where the CLI's stdout goes instead of a pipe: a file path (e.g. /dev/full). */
    stdoutTo?: string;
    /** Where the CLI's stderr goes instead of a pipe (e.g. /dev/full); `stderr` is then empty. */
    stderrTo?: string;
    /** Close the stdout pipe as soon as the CLI writes anything (`| head -c 0`). */
    closeStdoutEarly?: boolean;
    /** "aztec": keystores written with Aztec's real KDF parameters (default: cheap ones). */
    kdf?: "cheap" | "aztec";
  },
): Promise<CliResult> {
  const env = isolatedEnv(options.env);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const stdoutFd = options.stdoutTo === undefined ? undefined : openSync(options.stdoutTo, "w");
    const stderrFd = options.stderrTo === undefined ? undefined : openSync(options.stderrTo, "w");
    const child = spawn(process.execPath, cliArgv(args, options.kdf), {
      cwd: options.cwd,
      env,
      stdio: ["pipe", stdoutFd ?? "pipe", stderrFd ?? "pipe"],
    });
    if (stdoutFd !== undefined) closeSync(stdoutFd);
    if (stderrFd !== undefined) closeSync(stderrFd);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      if (options.closeStdoutEarly) child.stdout?.destroy();
      else stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** No inherited config keys; HOME and the XDG dirs in a private temp dir unless given. */
export function isolatedEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "butler-home-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    NO_COLOR: "1",
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A stream that keeps what is written to it (not a TTY: no progress lines, as in a pipe). */
function recordingStream(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString("utf8") });
}

let inProcessRunning = false;

/**
 * Runs the CLI in this process — the same program, commands and error reporting as the bin —
 * with recording stdout and stderr, in `cwd` and the same isolated environment as runCli. About
 * a hundred times cheaper than spawning Node and loading the bundle, so refusal lists use it;
 * each command and exit code keeps a spawned smoke test. Runs are serial (cwd and env are the
 * process's own while a run lasts).
 */
export async function runInProcess(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  if (inProcessRunning) throw new Error("runInProcess: one run at a time (it changes cwd and env)");
  inProcessRunning = true;
  // Loaded on first use (before cwd and env change): files that only spawn it do not load it.
  const { run } = await import("../../src/cli/main.js").catch((error: unknown) => {
    inProcessRunning = false;
    throw error;
  });
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const stdout = recordingStream();
  const stderr = recordingStream();
  let error: ThrownError | undefined;
  const started = Date.now();
  // In place: modules that captured process.env (env-paths) see the run's environment too.
  const replaceEnv = (next: Record<string, string | undefined>) => {
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, next);
  };
  try {
    replaceEnv(isolatedEnv(options.env));
    process.chdir(options.cwd);
    const code = await run(
      ["node", "aztec-butler", ...args],
      { stdout, stderr },
      { failedWith: (thrown) => (error = thrownError(thrown)) },
    );
    return { code, stdout: stdout.text(), stderr: stderr.text(), ms: Date.now() - started, error };
  } finally {
    process.chdir(savedCwd);
    replaceEnv(savedEnv);
    inProcessRunning = false;
  }
}
