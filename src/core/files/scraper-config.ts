import { join } from "node:path";
import { access } from "node:fs/promises";
import { butlerPaths } from "../config.js";
import { ConfigError, InputMissingError } from "../errors.js";
import { readJsonFile, parseWithSchema } from "./json-file.js";
import {
  mergedScraperConfig,
  newScraperConfig,
  type DeployedAttester,
} from "../plan/scraper-attesters.js";
import { scraperConfigSchema, type ScraperConfig } from "../../types/scraper-config.js";

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
 * The scraper config to merge into: the existing one; else a new one for the staking provider
 * (the registry's, when one is configured: the deployment gets the attesters the scraper config
 * says are NEW); else undefined (nothing to write: no provider configured, no config yet).
 */
export function scraperConfigBase(
  existing: ScraperConfig | undefined,
  fields: {
    network: string;
    chainId: number;
    registry?: { providerId: bigint; providerAdmin: string };
  },
): ScraperConfig | undefined {
  if (existing) return existing;
  if (!fields.registry) return undefined;
  return newScraperConfig({
    network: fields.network,
    l1ChainId: fields.chainId,
    stakingProviderId: fields.registry.providerId,
    stakingProviderAdmin: fields.registry.providerAdmin,
  });
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
