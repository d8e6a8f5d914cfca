import { join } from "node:path";
import { access } from "node:fs/promises";
import { butlerPaths } from "../config.js";
import { readJsonFile, parseWithSchema } from "./json-file.js";
import { toJsonText, writeFileAtomically } from "./safe-write.js";
import { InputMissingError } from "../errors.js";
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
 * Reads the existing scraper config, applies `change` and writes the result atomically: the one
 * read-modify-write of an existing config (status, fill-coinbases), so that a lock around the
 * config can wrap it whole. A missing config is an InputMissingError (prepare-deployment creates it).
 */
export async function updateScraperConfig(
  path: string,
  change: (config: ScraperConfig) => ScraperConfig,
): Promise<ScraperConfig> {
  const current = await loadScraperConfig(path);
  if (!current) {
    throw new InputMissingError(
      "does not exist; prepare-deployment creates it (with the attesters it deploys)",
      { file: path },
    );
  }
  const next = scraperConfigSchema.parse({
    ...change(current),
    lastUpdated: new Date().toISOString(),
  });
  await writeFileAtomically({ path, content: toJsonText(next), overwrite: true });
  return next;
}

/** What the chain says of one attester, for the scraper config. */
export interface ChainStateUpdate {
  address: string;
  state?: AttesterState;
  /** Its split contract from StakedWithProvider, when known. */
  coinbase?: string;
}

/**
 * The attesters with the derived states (see stateToRecord: never back to NEW) and the chain's
 * coinbases applied, matched in any case; entries not updated, and unknown fields, stay as they
 * are. Returns how many entries changed and which updates name attesters the config does not list.
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
    if (copy.lastSeenState !== entry.lastSeenState || copy.coinbase !== entry.coinbase) changed++;
    return copy;
  });
  const unlisted = updates
    .filter((u) => !listed.has(u.address.toLowerCase()))
    .map((u) => u.address);
  return { attesters: next, changed, unlisted };
}
