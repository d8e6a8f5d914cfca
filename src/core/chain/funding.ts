import { formatEther, getAddress } from "viem";
import { onChain, type ChainClient } from "./client.js";
import { ChainRefusalError } from "../errors.js";
import { publisherLoads } from "../plan/publishers.js";

export interface PublisherFunding {
  publisher: string;
  balance: bigint;
  /** Attesters this publisher serves in its file. */
  attesters: number;
  /** MIN_ETH_PER_ATTESTER × attesters. */
  required: bigint;
}

/**
 * The chain id and every publisher's balance, in one batched round (the transport packs the
 * calls into ceil(n / RPC_BATCH_SIZE) HTTP requests).
 */
export async function readChainIdAndBalances(
  chain: ChainClient,
  publishers: readonly string[],
  /** The command's pinned block (readBlockNumber); the latest without one. */
  blockNumber?: bigint,
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

/** Each publisher's balance against what its attesters need, publishers in the order given. */
export function assessFunding(
  loads: ReadonlyMap<string, number>,
  balances: ReadonlyMap<string, bigint>,
  minWeiPerAttester: bigint,
): PublisherFunding[] {
  return [...loads].map(([publisher, attesters]) => ({
    publisher,
    attesters,
    balance: balances.get(publisher.toLowerCase()) ?? 0n,
    required: minWeiPerAttester * BigInt(attesters),
  }));
}

/** assessFunding for each planned key file: its publishers and the validators each serves. */
export function assessKeyFilesFunding(
  files: readonly { publishers: readonly string[]; assignment: readonly string[] }[],
  balances: ReadonlyMap<string, bigint>,
  minWeiPerAttester: bigint,
): PublisherFunding[] {
  return files.flatMap((f) =>
    assessFunding(publisherLoads(f.publishers, f.assignment), balances, minWeiPerAttester),
  );
}

/** Refuses when any publisher has no ETH at all: it could not send a single block. */
export function checkNoEmptyPublisher(
  funding: readonly PublisherFunding[],
  publishersFile: string,
): void {
  const empty = funding.filter((f) => f.balance === 0n);
  if (empty.length === 0) return;
  throw new ChainRefusalError(
    `${empty.length === 1 ? "publisher" : `${empty.length} publishers`} without any ETH: ` +
      `${empty.map((f) => `${getAddress(f.publisher)} (serves ${f.attesters})`).join(", ")}; ` +
      "fund them before deploying",
    { file: publishersFile },
  );
}

/** Warnings for publishers holding less than MIN_ETH_PER_ATTESTER per attester they serve. */
export function lowFundingWarnings(funding: readonly PublisherFunding[]): string[] {
  return funding
    .filter((f) => f.balance > 0n && f.balance < f.required)
    .map(
      (f) =>
        `publisher ${getAddress(f.publisher)} has ${formatEther(f.balance)} ETH, below the ` +
        `${formatEther(f.required)} ETH ${f.attesters === 1 ? "its attester needs" : `its ${f.attesters} attesters need`} ` +
        `(MIN_ETH_PER_ATTESTER × ${f.attesters})`,
    );
}
