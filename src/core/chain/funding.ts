/**
 * Publishers on the chain: their balances and code, read at the command's pinned block.
 */
import { getAddress } from "viem";
import type { ButlerConfig } from "../config.js";
import type { PublisherWithCode } from "../plan/funding.js";
import { onChain, refuseUnexpectedChainId, type AtBlock, type ChainClient } from "./client.js";
import {
  isProviderConfigured,
  resolveRegistryContext,
  stakingProviderSettings,
  type RegistryContext,
} from "./staking-registry.js";

/**
 * The chain id and every publisher's balance, in one batched round (the transport packs the
 * calls into ceil(n / RPC_BATCH_SIZE) HTTP requests).
 */
export async function readChainIdAndBalances(
  chain: ChainClient,
  { publishers, blockNumber }: { publishers: readonly string[] } & AtBlock,
): Promise<{ chainId: number; balances: Map<string, bigint> }> {
  return onChain(chain, "reading publisher balances", async () => {
    const [chainId, ...balances] = await Promise.all([
      chain.client.getChainId(),
      ...publishers.map((address) =>
        chain.client.getBalance({ address: getAddress(address), blockNumber }),
      ),
    ]);
    return {
      chainId,
      balances: new Map(publishers.map((p, i) => [p.toLowerCase(), balances[i]!])),
    };
  });
}

/** Every publisher's balance at `blockNumber` (lowercase address → wei), in one batched round. */
export async function readBalances(
  chain: ChainClient,
  { publishers, blockNumber }: { publishers: readonly string[] } & AtBlock,
): Promise<{ balances: Map<string, bigint> }> {
  const balances = await onChain(chain, "reading publisher balances", () =>
    Promise.all(
      publishers.map((address) =>
        chain.client.getBalance({ address: getAddress(address), blockNumber }),
      ),
    ),
  );
  return { balances: new Map(publishers.map((p, i) => [p.toLowerCase(), balances[i]!])) };
}

/** EIP-7702's delegation designator: 0xef0100 followed by the delegate's 20-byte address. */
const DELEGATION = /^0xef0100([0-9a-f]{40})$/i;

/**
 * The publishers that have code at `blockNumber`, by eth_getCode in one batched round: a contract
 * cannot sign the node's L1 transactions, and ETH sent to one may be stuck or bounce.
 */
export async function readPublishersWithCode(
  chain: ChainClient,
  { publishers, blockNumber }: { publishers: readonly string[]; blockNumber?: bigint },
): Promise<PublisherWithCode[]> {
  const codes = await onChain(chain, "reading the publishers' code", () =>
    Promise.all(
      publishers.map((address) =>
        chain.client.getCode({ address: getAddress(address), blockNumber }),
      ),
    ),
  );
  return publishers.flatMap((publisher, i) => {
    const code = codes[i];
    if (code === undefined || code === "0x") return [];
    const delegate = DELEGATION.exec(code)?.[1];
    return [delegate ? { publisher, delegatesTo: getAddress(`0x${delegate}`) } : { publisher }];
  });
}

/**
 * What prepare-deployment reads at `blockNumber`: the chain id (refused unless the configured
 * one), every publisher's balance, and the staking provider when one is configured (undefined
 * otherwise: the key files are written all the same).
 */
export async function readDeploymentChainState(
  chain: ChainClient,
  config: ButlerConfig,
  { publishers, blockNumber }: { publishers: readonly string[]; blockNumber: bigint },
): Promise<{ chainId: number; balances: Map<string, bigint>; registry?: RegistryContext }> {
  const { chainId, balances } = await readChainIdAndBalances(chain, { publishers, blockNumber });
  refuseUnexpectedChainId(chain, config, chainId);
  if (!isProviderConfigured(stakingProviderSettings(config))) return { chainId, balances };
  const registry = await resolveRegistryContext(chain, { config, blockNumber });
  return { chainId, balances, registry };
}
