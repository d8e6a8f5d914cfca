/**
 * The scraper config's attester list, pure: a deployment merged into it, a run's chain states and
 * coinbases applied to it (files/scraper-config.ts reads and writes the file).
 */
import { stateToRecord } from "./lifecycle.js";
import { ZERO_ADDRESS, isZeroHex } from "../../types/primitives.js";
import {
  scraperConfigSchema,
  type AttesterState,
  type ScraperAttester,
  type ScraperConfig,
} from "../../types/scraper-config.js";

/** What a deployment says of one attester. */
export interface DeployedAttester {
  address: string;
  /** Missing in the key file → the zero address. */
  coinbase?: string;
  publisher: string;
  /** From the new public keys (state NEW), rather than already in production. */
  isNew: boolean;
}

const preferNonZero = (preferred: string | undefined, fallback: string | undefined): string => {
  if (preferred !== undefined && !isZeroHex(preferred)) return preferred;
  if (fallback !== undefined && !isZeroHex(fallback)) return fallback;
  return preferred ?? fallback ?? ZERO_ADDRESS;
};

/**
 * Merges a deployment into the scraper's attester list:
 * - entries of the same address (any case) become one, preferring non-zero coinbase and
 *   publisher, the deployment's values first (they are the latest);
 * - an attester already listed keeps its lastSeenState (one from the new keys listed without a
 *   state gets NEW);
 * - an attester not listed yet is appended: NEW if it comes from the new keys; without a state
 *   if it was already in production (the scraper will find out where it is);
 * - attesters not in the deployment stay as they are. Unknown fields are kept (of duplicates too).
 */
export function mergeScraperAttesters(
  existing: readonly ScraperAttester[],
  deployment: readonly DeployedAttester[],
): ScraperAttester[] {
  const merged: ScraperAttester[] = [];
  const byAddress = new Map<string, ScraperAttester>();
  const upsert = (entry: ScraperAttester, deployed: boolean) => {
    const key = entry.address.toLowerCase();
    const current = byAddress.get(key);
    if (!current) {
      const copy = { ...entry };
      byAddress.set(key, copy);
      merged.push(copy);
      return;
    }
    const [first, second] = deployed ? [entry, current] : [current, entry];
    current.coinbase = preferNonZero(first.coinbase, second.coinbase);
    current.publisher = preferNonZero(first.publisher, second.publisher);
    // The first entry's state wins; fields only the later duplicate has (its state, unknown
    // fields) are kept too.
    for (const [field, value] of Object.entries(entry)) {
      if (!(field in current) || (current as Record<string, unknown>)[field] === undefined) {
        (current as Record<string, unknown>)[field] = value;
      }
    }
  };
  for (const entry of existing) upsert(entry, false);
  for (const attester of deployment) {
    const entry: ScraperAttester = {
      address: attester.address,
      coinbase: attester.coinbase ?? ZERO_ADDRESS,
      publisher: attester.publisher,
    };
    // A listed attester keeps its state; one from the new keys listed without a state gets NEW.
    if (attester.isNew) entry.lastSeenState = "NEW";
    upsert(entry, true);
  }
  return merged;
}

/** A new, empty scraper config for the staking provider. */
export function newScraperConfig(fields: {
  network: string;
  l1ChainId: number;
  stakingProviderId: bigint;
  stakingProviderAdmin: string;
}): ScraperConfig {
  return {
    network: fields.network,
    l1ChainId: fields.l1ChainId,
    stakingProviderId: fields.stakingProviderId.toString(),
    stakingProviderAdmin: fields.stakingProviderAdmin,
    attesters: [],
    lastUpdated: new Date().toISOString(),
    version: "1.0",
  };
}

/** `base` with the deployment merged into its attesters (mergeScraperAttesters), dated `now`. */
export function mergedScraperConfig(
  base: ScraperConfig,
  deployed: readonly DeployedAttester[],
  now: Date,
): ScraperConfig {
  return scraperConfigSchema.parse({
    ...base,
    attesters: mergeScraperAttesters(base.attesters, deployed),
    lastUpdated: now.toISOString(),
  });
}

/** What a run knows of one attester, for the scraper config. */
export interface ChainStateUpdate {
  address: string;
  state?: AttesterState;
  /** The coinbase its key files give it: what is deployed (the config's `coinbase`). */
  coinbase?: string;
  /**
   * Its split contract from StakedWithProvider, the coinbase the chain expects (the config's
   * `expectedCoinbase`, never its `coinbase`: monitoring compares the two).
   */
  expectedCoinbase?: string;
}

/**
 * The attesters with the derived states (see stateToRecord: never back to NEW), the deployed
 * coinbases and the chain's expected ones applied, matched in any case; entries not updated, and
 * unknown fields, stay as they are. Returns how many entries changed and which updates name
 * attesters the config does not list.
 */
export function applyChainStates(
  attesters: readonly ScraperAttester[],
  updates: readonly ChainStateUpdate[],
): { attesters: ScraperAttester[]; changed: number; unlisted: string[] } {
  const byAddress = new Map(updates.map((u) => [u.address.toLowerCase(), u]));
  const listed = new Set<string>();
  let changed = 0;
  const next = attesters.map((entry) => {
    const key = entry.address.toLowerCase();
    const update = byAddress.get(key);
    if (!update) return entry;
    listed.add(key);
    const copy = { ...entry };
    if (update.state !== undefined)
      copy.lastSeenState = stateToRecord(entry.lastSeenState, update.state);
    if (update.coinbase !== undefined) copy.coinbase = update.coinbase;
    if (update.expectedCoinbase !== undefined) copy.expectedCoinbase = update.expectedCoinbase;
    if (
      copy.lastSeenState !== entry.lastSeenState ||
      copy.coinbase !== entry.coinbase ||
      copy.expectedCoinbase !== entry.expectedCoinbase
    )
      changed++;
    return copy;
  });
  const unlisted = updates
    .filter((u) => !listed.has(u.address.toLowerCase()))
    .map((u) => u.address);
  return { attesters: next, changed, unlisted };
}
