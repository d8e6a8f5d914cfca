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
export function refuseEmptyPublishers(
  funding: readonly PublisherFunding[],
  publishersFile: string,
): void {
  const empty = funding.filter((f) => f.balance === 0n);
  if (empty.length === 0) return;
  throw new ChainRefusalError(
    "PUBLISHER_WITHOUT_ETH",
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

/** A publisher with code at the pinned block: a contract, or an EIP-7702 delegated account. */
export interface PublisherWithCode {
  publisher: string;
  /** Where an EIP-7702 account delegates to; undefined for a contract. */
  delegatesTo?: string;
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

/** One warning per publisher with code. */
export function publisherCodeWarnings(withCode: readonly PublisherWithCode[]): string[] {
  return withCode.map(({ publisher, delegatesTo }) =>
    delegatesTo
      ? `publisher ${getAddress(publisher)} is an EIP-7702 delegated account (its code delegates to ` +
        `${delegatesTo}): ETH sent to it runs that code; check that this is the node's publisher`
      : `publisher ${getAddress(publisher)} is a contract (it has code on chain): a contract cannot ` +
        "sign the node's L1 transactions, and ETH sent to it may be lost; check the key file",
  );
}
