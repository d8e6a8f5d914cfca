/** What the benchmark's sections share: the chain, the counting proxy and the run's settings. */
import type { Address } from "viem";

import type { RpcProxy } from "../tests/support/rpc-proxy.js";
import type { TestChain } from "../tests/support/test-chain.js";

export interface BenchContext {
  /** The run's temp dir (inputs, working directories, isolated HOMEs). */
  tmp: string;
  repeats: number;
  log: (line: string) => void;
  chain: TestChain;
  /** The counting proxy in front of the chain (bench/counting.ts). */
  proxy: RpcProxy;
  /** The bench's staking registry, wired to the chain's Aztec L1. */
  registry: Address;
}

/** A provider of the bench's registry, and the configuration the CLI runs with for it. */
export interface ProviderContext {
  providerId: bigint;
  admin: Address;
  /** ETHEREUM_NODE_URL (the proxy), ETHEREUM_CHAIN_ID, STAKING_REGISTRY_ADDRESS, the provider. */
  config: Record<string, string>;
}

export const configFor = (bench: BenchContext, providerId: bigint): ProviderContext["config"] => ({
  ETHEREUM_NODE_URL: bench.proxy.url,
  ETHEREUM_CHAIN_ID: String(bench.chain.chainId),
  STAKING_REGISTRY_ADDRESS: bench.registry,
  AZTEC_STAKING_PROVIDER_ID: String(providerId),
});
