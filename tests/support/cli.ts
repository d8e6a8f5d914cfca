import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
export const cliEntry = join(projectRoot, "bin", "aztec-butler.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run in milliseconds. */
  ms: number;
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
  },
): Promise<CliResult> {
  const home = mkdtempSync(join(tmpdir(), "butler-home-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    NO_COLOR: "1",
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const stdoutFd = options.stdoutTo === undefined ? undefined : openSync(options.stdoutTo, "w");
    const stderrFd = options.stderrTo === undefined ? undefined : openSync(options.stderrTo, "w");
    const child = spawn(process.execPath, [cliEntry, ...args], {
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
