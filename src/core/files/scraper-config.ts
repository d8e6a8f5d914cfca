import { join } from "node:path";
import { access } from "node:fs/promises";
import { butlerPaths } from "../config.js";
import { ConfigError, InputMissingError } from "../errors.js";
import { readJsonFile, parseWithSchema } from "./json-file.js";
import { stateToRecord } from "../plan/lifecycle.js";
import { ZERO_ADDRESS, isZeroHex } from "../../types/primitives.js";
import {
  scraperConfigSchema,
  type AttesterState,
  type ScraperAttester,
  type ScraperConfig,
} from "../../types/scraper-config.js";

/** `<data dir>/<network>-scrape-config.json` (honours XDG_DATA_HOME). */
export function scraperConfigPath(network: string): string {
  return join(butlerPaths().data, `${network}-scrape-config.json`);
}

/** The existing scraper config, checked, or undefined when there is none yet. */
export async function loadScraperConfig(path: string): Promise<ScraperConfig | undefined> {
  try {
    await access(path);
  } catch {
    return undefined;
  }
  return parseWithSchema(scraperConfigSchema, await readJsonFile(path), path);
}

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

/**
 * What a run is on, which the scraper config it writes must be for: the node's chain, and the
 * staking provider of the configuration when the run knows it (resolved on the chain).
 */
export interface ScraperConfigOwner {
  path: string;
  chainId: number;
  providerId?: bigint;
}

/**
 * Refuses (exit 78) a scraper config written for another chain or another staking provider than
 * the run's (wrong --network, ETHEREUM_NODE_URL or provider settings): writing into it would mix
 * two deployments' attesters.
 */
export function refuseForeignScraperConfig(
  config: ScraperConfig | undefined,
  owner: ScraperConfigOwner,
): void {
  if (!config) return;
  if (config.l1ChainId !== owner.chainId) {
    throw new ConfigError(
      "SCRAPER_CONFIG_MISMATCH",
      `scraper config ${owner.path} is for chain ${config.l1ChainId} but the node is on chain ` +
        `${owner.chainId}; wrong --network or ETHEREUM_NODE_URL?`,
    );
  }
  if (owner.providerId !== undefined && BigInt(config.stakingProviderId) !== owner.providerId) {
    throw new ConfigError(
      "SCRAPER_CONFIG_MISMATCH",
      `scraper config ${owner.path} is for staking provider ${config.stakingProviderId} but the ` +
        `configuration's provider is ${owner.providerId}; wrong --network or AZTEC_STAKING_PROVIDER_* setting?`,
    );
  }
}

/** What writeDeployment does with the scraper config (see scraperConfigWrite). */
export interface ScraperConfigWrite {
  path: string;
  build: (current: ScraperConfig | undefined) => ScraperConfig | undefined;
}

/**
 * The one way the scraper config is written, by every command that writes it (prepare-deployment,
 * fill-coinbases, status --update-scraper-config), through writeDeployment: under the config's
 * lock, the content read there is checked against the run's chain and provider
 * (refuseForeignScraperConfig), `change` gives the next content (undefined: leave it), which is
 * checked again (a config created now), validated and dated.
 */
export function scraperConfigWrite(
  owner: ScraperConfigOwner,
  change: (current: ScraperConfig | undefined) => ScraperConfig | undefined,
): ScraperConfigWrite {
  return {
    path: owner.path,
    build: (current) => {
      refuseForeignScraperConfig(current, owner);
      const next = change(current);
      if (next === undefined) return undefined;
      refuseForeignScraperConfig(next, owner);
      return scraperConfigSchema.parse({ ...next, lastUpdated: new Date().toISOString() });
    },
  };
}

/** The config is needed and is not there (status --update-scraper-config). */
export function missingScraperConfig(path: string): InputMissingError {
  return new InputMissingError(
    "NO_SCRAPER_CONFIG",
    "does not exist; prepare-deployment creates it (with the attesters it deploys)",
    { file: path },
  );
}

/**
 * The scraper config to merge into: the existing one; else a new one for the staking provider,
 * resolved on the chain only when one is configured; else undefined (nothing to write).
 */
export async function scraperConfigBase(
  existing: ScraperConfig | undefined,
  fields: {
    network: string;
    l1ChainId: number;
    providerConfigured: boolean;
    resolveProvider: () => Promise<{ providerId: bigint; providerAdmin: string }>;
  },
): Promise<ScraperConfig | undefined> {
  if (existing) return existing;
  if (!fields.providerConfigured) return undefined;
  const provider = await fields.resolveProvider();
  return newScraperConfig({
    network: fields.network,
    l1ChainId: fields.l1ChainId,
    stakingProviderId: provider.providerId,
    stakingProviderAdmin: provider.providerAdmin,
  });
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

/**
 * prepare-deployment's scraper config update (scraperConfigWrite): `deployed` merged into the
 * content read under the lock (or into `base` when there is none yet). Undefined when there is no
 * config to write (no staking provider configured).
 */
export function deploymentScraperUpdate(
  owner: ScraperConfigOwner,
  base: ScraperConfig | undefined,
  deployed: readonly DeployedAttester[],
): ScraperConfigWrite | undefined {
  if (!base) return undefined;
  return scraperConfigWrite(owner, (current) =>
    mergedScraperConfig(current ?? base, deployed, new Date()),
  );
}
