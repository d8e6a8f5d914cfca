/**
 * prepare-deployment's files: its inputs loaded and checked, and the names of its outputs
 * (deployment-write.ts puts them in place).
 */
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import { parseWithSchema, readJsonFile } from "./json-file.js";
import { loadPublicKeyFile } from "./key-files.js";
import { refuseUnwritableTargets, firstFreeSuffix } from "./safe-write.js";
import { publisherGroupsOf, type PublisherGroup } from "../plan/publishers.js";
import {
  planKeyFiles,
  refuseDuplicateAttesters,
  refuseZeroCoinbases,
  type NewKeysSource,
  type PlannedKeyFile,
  type ProductionSource,
} from "../plan/deployment-plan.js";
import { productionKeyFileSchema } from "../../types/production-key-file.js";
import { publishersFileSchema } from "../../types/publishers-file.js";

/** The production key file: its raw JSON (for a faithful output) and its checked view. */
export async function loadProductionSource(file: string): Promise<ProductionSource> {
  const raw = await readJsonFile(file);
  const parsed = parseWithSchema(productionKeyFileSchema, raw, file);
  return {
    file,
    raw: raw as ProductionSource["raw"],
    validators: parsed.validators,
    defaultCoinbase: parsed.coinbase,
  };
}

/** prepare-deployment's inputs, checked. */
export interface DeploymentInputs {
  production: ProductionSource;
  newSources: NewKeysSource[];
  groups: PublisherGroup[];
}

/**
 * prepare-deployment's inputs, each read and checked, and checked together: the production file,
 * the new public keys (--new-public-keys, else the single public-*.json in `cwd`), the publishers
 * file; no attester twice across them, no zero coinbase in production.
 */
export async function loadDeploymentInputs(
  productionFile: string,
  options: {
    publishersFile: string;
    newPublicKeys?: readonly string[];
    cwd: string;
    info: (line: string) => void;
  },
): Promise<DeploymentInputs> {
  const production = await loadProductionSource(productionFile);
  const newKeyFiles = options.newPublicKeys ?? [
    await findPublicKeysFile(options.cwd, options.info),
  ];
  const newSources = await loadNewKeysSources(newKeyFiles);
  const groups = await loadPublisherGroups(options.publishersFile);
  refuseDuplicateAttesters(production, newSources);
  refuseZeroCoinbases(production);
  return { production, newSources, groups };
}

/** Each public-keys file, checked, in the order given. */
export async function loadNewKeysSources(files: readonly string[]): Promise<NewKeysSource[]> {
  const sources: NewKeysSource[] = [];
  for (const file of files)
    sources.push({ file, validators: (await loadPublicKeyFile(file)).validators });
  return sources;
}

/** The publishers file as groups (one per server, or one for a plain list). */
export async function loadPublisherGroups(file: string): Promise<PublisherGroup[]> {
  return publisherGroupsOf(
    parseWithSchema(publishersFileSchema, await readJsonFile(file), file),
    file,
  );
}

/** Without --new-public-keys: the single public-*.json in the CWD that process-private-keys wrote. */
export async function findPublicKeysFile(
  cwd: string,
  info: (line: string) => void,
): Promise<string> {
  const candidates = (await readdir(cwd)).filter((name) => /^public-.+\.json$/.test(name)).sort();
  if (candidates.length !== 1) {
    throw new UsageError(
      "NO_SINGLE_PUBLIC_KEYS_FILE",
      candidates.length === 0
        ? "no public-*.json in the current directory; pass the new public keys with --new-public-keys <file>"
        : `several public-*.json files here (${candidates.join(", ")}); choose with --new-public-keys <file>`,
    );
  }
  info(`using new public keys from ${candidates[0]} (found in the current directory)`);
  return candidates[0]!;
}

/**
 * Output paths, one per prefix. With --output: exactly that name (prefixed for several files).
 * Otherwise `<prefix><production-file>.new` in the CWD, or `.new2`, `.new3`, … — the first
 * suffix free for every file, so high-availability files keep matching names.
 */
export async function outputPaths(
  productionFile: string,
  output: string | undefined,
  prefixes: readonly string[],
  cwd: string,
): Promise<string[]> {
  if (output !== undefined) {
    return prefixes.map((prefix) => join(dirname(output), `${prefix}${basename(output)}`));
  }
  const names = prefixes.map((prefix) => `${prefix}${basename(productionFile)}`);
  const suffix = await firstFreeSuffix(cwd, names);
  return names.map((name) => `${name}${suffix}`);
}

/**
 * The key files prepare-deployment writes (planKeyFiles), each with the name it gets now
 * (outputPaths: names are chosen again under the scraper config's lock when written), refused
 * when a name cannot be written.
 */
export async function keyFilesToWrite(
  { production, newSources, groups }: DeploymentInputs,
  options: {
    highAvailabilityCount?: number;
    publishersFile: string;
    output?: string;
    cwd: string;
    /** The scraper config the run updates, checked with the key files (no output is an input). */
    scraperConfig?: string;
  },
): Promise<{ files: (PlannedKeyFile & { path: string })[]; prefixes: string[] }> {
  const plans = planKeyFiles(
    production,
    newSources,
    groups,
    options.highAvailabilityCount,
    options.publishersFile,
  );
  const prefixes = plans.map((p) => p.prefix);
  const outputs = await outputPaths(production.file, options.output, prefixes, options.cwd);
  const files = plans.map((plan, i) => ({ ...plan, path: outputs[i]! }));
  await refuseUnwritableTargets([
    ...files.map((f) => ({ path: f.path, hint: "choose another --output" })),
    ...(options.scraperConfig === undefined
      ? []
      : [
          { path: options.scraperConfig, overwrite: true, createParent: true, updatesItself: true },
        ]),
  ]);
  return { files, prefixes };
}
