/**
 * Counting the JSON-RPC requests the CLI sends, by purpose, at the bench's proxy: HTTP requests,
 * the calls inside them, and which of them carry a queue read (one of the queue functions, or a
 * deployless ProviderQueueReader read) or an eth_getBalance (the funding check).
 */
import { toFunctionSelector, type AbiFunction } from "viem";

import { providerQueueReaderBytecode } from "../src/core/chain/provider-queue-reader-code.js";
import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";
import type { RpcCall } from "../tests/support/rpc-proxy.js";
import { median } from "./report.js";
import { ensureFreshBundle, runCli, type CliRun } from "./run-cli.js";

const QUEUE_FUNCTIONS = [
  "getFirstIndexInQueue",
  "getLastIndexInQueue",
  "getProviderQueueLength",
  "getValueAtIndexInQueue",
];
const queueSelectors = new Set(
  (stakingRegistryAbi as readonly { type: string; name?: string }[])
    .filter((item) => item.type === "function" && QUEUE_FUNCTIONS.includes(item.name ?? ""))
    .map((item) => toFunctionSelector(item as AbiFunction).toLowerCase()),
);

/** A queue read: a call of one of the queue functions, or a deployless ProviderQueueReader read. */
function isQueueRead(data: string): boolean {
  return (
    queueSelectors.has(data.slice(0, 10).toLowerCase()) ||
    data.toLowerCase().startsWith(providerQueueReaderBytecode.toLowerCase())
  );
}

export interface Window {
  httpRequests: number;
  rpcCalls: number;
  /** HTTP requests carrying at least one queue read (bounds or entry). */
  queueRequests: number;
  queueCalls: number;
  /** HTTP requests carrying at least one eth_getBalance. */
  fundingRequests: number;
  balanceCalls: number;
}

const emptyWindow = (): Window => ({
  httpRequests: 0,
  rpcCalls: 0,
  queueRequests: 0,
  queueCalls: 0,
  fundingRequests: 0,
  balanceCalls: 0,
});

let window = emptyWindow();

/** The proxy's onRequest: counts one HTTP request and its calls into the current window. */
export function observe(calls: readonly RpcCall[]): void {
  window.httpRequests++;
  window.rpcCalls += calls.length;
  let queue = 0;
  let balance = 0;
  for (const call of calls) {
    if (call.method === "eth_getBalance") balance++;
    if (call.method === "eth_call" && Array.isArray(call.params)) {
      const tx = call.params[0] as { data?: string; input?: string } | undefined;
      const data = tx?.data ?? tx?.input;
      if (typeof data === "string" && isQueueRead(data)) queue++;
    }
  }
  window.queueCalls += queue;
  window.balanceCalls += balance;
  if (queue > 0) window.queueRequests++;
  if (balance > 0) window.fundingRequests++;
}

/** Runs `work` with fresh counters and returns what the proxy saw meanwhile. */
export async function counted<T>(work: () => Promise<T>): Promise<{ result: T; seen: Window }> {
  window = emptyWindow();
  const result = await work();
  const seen = window;
  window = emptyWindow();
  return { result, seen };
}

export interface CountedRun {
  run: CliRun;
  seen: Window;
}

/** One CLI run that must exit 0, with the requests it sent. */
export async function runCounted(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<CountedRun> {
  if (ensureFreshBundle()) log("src/ changed: rebuilt dist/ so the CLI runs its bundle");
  const { result: run, seen } = await counted(() => runCli(args, { cwd, env }));
  if (run.code !== 0) {
    throw new Error(`aztec-butler ${args[0]} exited ${run.code ?? run.signal}:\n${run.stderr}`);
  }
  return { run, seen };
}

export const mib = (kb: number) => kb / 1024;

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`benchmark run invalid: ${message}`);
}

/** The medians, extremes and request counts of one scenario's runs. */
export function summarise(runs: CountedRun[]) {
  const walls = runs.map((r) => r.run.wallMs);
  return {
    wallMs: median(walls),
    minMs: Math.min(...walls),
    maxMs: Math.max(...walls),
    rssKb: Math.max(...runs.map((r) => r.run.peakRssKb)),
    rssKbs: runs.map((r) => r.run.peakRssKb),
    // Request counts do not depend on timing; the maximum is reported to be safe.
    seen: runs.map((r) => r.seen).reduce((a, b) => (b.httpRequests > a.httpRequests ? b : a)),
    maxQueueRequests: Math.max(...runs.map((r) => r.seen.queueRequests)),
    maxFundingRequests: Math.max(...runs.map((r) => r.seen.fundingRequests)),
  };
}
