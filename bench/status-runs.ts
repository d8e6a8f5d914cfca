/**
 * What bench/status.ts and bench/queue-health.ts share: both build chain state with sendAll, run
 * `status` behind the counting proxy and measure the runs and a baseline the same way.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hash } from "viem";
import type { TestChain } from "../tests/support/test-chain.js";
import type { RpcProxy } from "../tests/support/rpc-proxy.js";
import { fmtInt, fmtMs } from "./report.js";
import { runCli } from "./run-cli.js";

/** Sends one after the other (nonces in order), then checks every receipt. */
export async function sendAll(chain: TestChain, sends: (() => Promise<Hash>)[]): Promise<void> {
  const hashes: Hash[] = [];
  for (const send of sends) hashes.push(await send());
  for (const hash of hashes) {
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`bench setup transaction ${hash} reverted`);
  }
}

/** One measured `status` run: wall time, peak RSS, and the proxy's HTTP requests and calls. */
export interface MeasuredRun {
  wallMs: number;
  rssMiB: number;
  http: number;
  calls: number;
}

/** A baseline's wall time and HTTP requests. */
export interface BaselineMeasure {
  wallMs: number;
  http: number;
}

/** How `status` is run: its arguments, working directory and environment, behind the proxy. */
export interface StatusInvocation {
  args: string[];
  dir: string;
  env: Record<string, string>;
  proxy: RpcProxy;
}

/** The key file `status` reports on, written as prod.json in `dir` (a remote signer holds the keys). */
export function writeStatusKeyFile(
  dir: string,
  validators: readonly { attester: Address; publisher: Address }[],
): string {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "prod.json");
  writeFileSync(
    keyFile,
    JSON.stringify({
      schemaVersion: 1,
      remoteSigner: "http://web3signer.example:9000",
      validators,
    }),
  );
  return keyFile;
}

/**
 * `repeats` runs of `status` (each must exit 3: the chain state always has something to report),
 * each measured at the proxy and logged as `<label> run i/n`; `checkReport` is given each run's
 * stdout when set.
 */
export async function repeatedStatusRuns(
  { args, dir, env, proxy }: StatusInvocation,
  options: {
    label: string;
    repeats: number;
    log: (line: string) => void;
    checkReport?: (stdout: string) => void;
  },
): Promise<MeasuredRun[]> {
  const { label, repeats, log, checkReport } = options;
  const runs: MeasuredRun[] = [];
  for (let i = 0; i < repeats; i++) {
    proxy.resetStats();
    const run = await runCli(args, {
      cwd: dir,
      env,
      keepStdout: checkReport !== undefined,
      timeoutMs: 300_000,
    });
    if (run.code !== 3) throw new Error(`status exited ${run.code}: ${run.stderr}`);
    checkReport?.(run.stdout!);
    runs.push({
      wallMs: run.wallMs,
      rssMiB: run.peakRssKb / 1024,
      http: proxy.stats.httpRequests,
      calls: proxy.stats.rpcCalls,
    });
    log(
      `${label} run ${i + 1}/${repeats}: ${fmtMs(run.wallMs)}, ${run.peakRssKb >> 10} MiB, ` +
        `${proxy.stats.httpRequests} HTTP requests (${fmtInt(proxy.stats.rpcCalls)} calls)`,
    );
  }
  return runs;
}

/** The first run of `status` (it reads the logs and caches them; it must exit 3): its report. */
export async function firstStatusRun({
  args,
  dir,
  env,
}: StatusInvocation): Promise<{ stdout: string; wallMs: number }> {
  const first = await runCli(args, { cwd: dir, env, keepStdout: true, timeoutMs: 300_000 });
  if (first.code !== 3) throw new Error(`status exited ${first.code}: ${first.stderr}`);
  return { stdout: first.stdout!, wallMs: first.wallMs };
}
