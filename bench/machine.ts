/** The machine the benchmark ran on, for BENCHMARKS.md. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";

import { ANVIL_BIN } from "../tests/support/test-chain.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  anvil: string;
  kernel: string;
}

function firstLine(command: string, args: string[]): string | undefined {
  const run = spawnSync(command, args, { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim().split("\n")[0] : undefined;
}

export function describeMachine(): Machine {
  let cpuModel = "unknown";
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ??
      cpuModel;
  } catch {
    // not Linux
  }
  const nproc = Number(firstLine("nproc", []) ?? NaN);
  return {
    cpus: Number.isFinite(nproc) ? nproc : availableParallelism(),
    cpuModel,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    anvil: firstLine(ANVIL_BIN, ["--version"]) ?? "unknown",
    kernel: `Linux ${release()}`,
  };
}

/** The 1-minute load average: other work on the machine makes wall times noisy. */
export const loadAverage = (): string => loadavg()[0]!.toFixed(2);
