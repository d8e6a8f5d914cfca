/**
 * Publishers' funding, pure: each one's balance against what the attesters it serves need, what
 * is refused (no ETH at all) or warned about (below the minimum, code at the address).
 */
import { formatEther, getAddress } from "viem";
import { ChainRefusalError } from "../errors.js";
import { publisherLoads } from "./publishers.js";

export interface PublisherFunding {
  publisher: string;
  balance: bigint;
  /** Attesters this publisher serves in its file. */
  attesters: number;
  /** MIN_ETH_PER_ATTESTER × attesters. */
  required: bigint;
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

/**
 * prepare-deployment's funding rule: refuses publishers without any ETH (refuseEmptyPublishers),
 * and warns about those below MIN_ETH_PER_ATTESTER per attester (lowFundingWarnings).
 */
export function refuseUnfundedPublishers(
  funding: readonly PublisherFunding[],
  publishersFile: string,
): string[] {
  refuseEmptyPublishers(funding, publishersFile);
  return lowFundingWarnings(funding);
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
