import { Command, Option } from "commander";
import { readdir } from "node:fs/promises";
import { checkExpectedChainId, createChainClient } from "../../core/chain/client.js";
import {
  checkNoDuplicateAttesters,
  checkNoZeroCoinbase,
  planKeyFiles,
  type NewKeysSource,
  type ProductionSource,
} from "../../core/plan/deployment-plan.js";
import { ConfigError, UsageError, type ErrorLocation } from "../../core/errors.js";
import {
  assessFunding,
  checkNoEmptyPublisher,
  lowFundingWarnings,
  readChainIdAndBalances,
} from "../../core/chain/funding.js";
import { locate, parseWithSchema, readJsonFile } from "../../core/files/json-file.js";
import { loadPublicKeyFile } from "../../core/files/key-files.js";
import { NodeKeystoreCheck } from "../../core/files/node-keystore-check.js";
import { consoleOutput, count, plural } from "../output.js";
import { publisherGroupsOf, publisherLoads } from "../../core/plan/publishers.js";
import {
  checkWriteTargets,
  keyFileOutputPaths,
  toJsonText,
  writeFilesAtomically,
} from "../../core/files/safe-write.js";
import {
  loadScraperConfig,
  mergeScraperAttesters,
  newScraperConfig,
  scraperConfigPath,
  type DeployedAttester,
} from "../../core/files/scraper-config.js";
import { resolveRegistryContext } from "../../core/chain/staking-registry.js";
import { productionKeyFileSchema } from "../../types/production-key-file.js";
import { publishersFileSchema } from "../../types/publishers-file.js";
import { scraperConfigSchema, type ScraperConfig } from "../../types/scraper-config.js";
import { contextFor, type CommandContext } from "../context.js";
import { runAction } from "../run.js";

interface Options {
  newPublicKeys?: string[];
  highAvailabilityCount?: number;
  output?: string;
}

export function prepareDeploymentCommand(): Command {
  return new Command("prepare-deployment")
    .description(
      "write <production-file>.new: old + new validators, publishers reassigned and funded; update the scraper config",
    )
    .argument("<production-file>", "the key file deployed on the node (public keys + remoteSigner)")
    .argument("<publishers-file>", "JSON array of publisher addresses, or {serverId: [addresses]}")
    .option(
      "--new-public-keys <file>",
      "a public-keys file from process-private-keys (repeatable; default: the single public-*.json in the CWD)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(
      new Option(
        "--high-availability-count <n>",
        "write n files A_…, B_…, that share no publisher (each holds all validators)",
      ).argParser(parseHighAvailabilityCount),
    )
    .option(
      "-o, --output <file>",
      "where to write (default: <production-file>.new in the CWD, .new2 … if taken)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ aztec-butler prepare-deployment prod.json publishers.json
  $ aztec-butler prepare-deployment prod.json publishers.json --new-public-keys public-keys.json
  $ aztec-butler prepare-deployment prod.json publishers.json --high-availability-count 3`,
    )
    .action(
      runAction(
        async (
          productionFile: string,
          publishersFile: string,
          options: Options,
          command: Command,
        ) =>
          prepareDeployment(
            productionFile,
            publishersFile,
            options,
            await contextFor(command, consoleOutput()),
          ),
      ),
    );
}

function parseHighAvailabilityCount(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value.trim())) {
    throw new UsageError(
      `--high-availability-count must be a positive whole number, got "${value}"`,
    );
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`--high-availability-count is far too large, got "${value}"`);
  }
  return n;
}

export async function prepareDeployment(
  productionFile: string,
  publishersFile: string,
  options: Options,
  ctx: CommandContext,
): Promise<void> {
  // The node's own keystore check loads on a worker thread while the inputs are read.
  const nodeCheck = new NodeKeystoreCheck();
  try {
    await prepareDeploymentWith(nodeCheck, productionFile, publishersFile, options, ctx);
  } finally {
    await nodeCheck.close();
  }
}

async function prepareDeploymentWith(
  nodeCheck: NodeKeystoreCheck,
  productionFile: string,
  publishersFile: string,
  options: Options,
  ctx: CommandContext,
): Promise<void> {
  const { out, config, cwd } = ctx;

  // Load and check every input.
  const productionRaw = await readJsonFile(productionFile);
  const productionParsed = parseWithSchema(productionKeyFileSchema, productionRaw, productionFile);
  const production: ProductionSource = {
    file: productionFile,
    raw: productionRaw as ProductionSource["raw"],
    validators: productionParsed.validators,
    defaultCoinbase: productionParsed.coinbase,
  };
  const newKeyFiles = options.newPublicKeys ?? [await findPublicKeysFile(cwd, out.info)];
  const newSources: NewKeysSource[] = [];
  for (const file of newKeyFiles)
    newSources.push({ file, validators: (await loadPublicKeyFile(file)).validators });
  const groups = publisherGroupsOf(
    parseWithSchema(publishersFileSchema, await readJsonFile(publishersFile), publishersFile),
    publishersFile,
  );
  checkNoDuplicateAttesters(production, newSources);
  checkNoZeroCoinbase(production);

  // Plan: which validators, which publisher each gets, which files.
  const plans = planKeyFiles(
    production,
    newSources,
    groups,
    options.highAvailabilityCount,
    publishersFile,
  );
  const outputs = await keyFileOutputPaths(
    productionFile,
    options.output,
    plans.map((p) => p.prefix),
    cwd,
  );
  const files = plans.map((plan, i) => ({ ...plan, path: outputs[i]! }));
  await checkWriteTargets(files.map((f) => ({ path: f.path })));
  // A rejection is shown in the input to fix (production file or new keys), not the unwritten output.
  await nodeCheck.check(
    files.map((file) => ({
      content: file.content,
      locate: (path) => locateInInputs(path, production, newSources),
    })),
  );
  const scraperPath = scraperConfigPath(config.network);
  const existingScraperConfig = await loadScraperConfig(scraperPath);

  // Check the chain: the chain id and every publisher's balance in one batched round.
  const chain = createChainClient(config);
  const allPublishers = files.flatMap((f) => f.publishers);
  const { chainId, balances } = await readChainIdAndBalances(chain, allPublishers);
  checkExpectedChainId(chain, config, chainId);
  if (existingScraperConfig && existingScraperConfig.l1ChainId !== chainId) {
    throw new ConfigError(
      `scraper config ${scraperPath} is for chain ${existingScraperConfig.l1ChainId} but the node is on chain ` +
        `${chainId}; wrong --network or ETHEREUM_NODE_URL?`,
    );
  }
  const funding = files.flatMap((f) =>
    assessFunding(publisherLoads(f.publishers, f.assignment), balances, config.minWeiPerAttester),
  );
  checkNoEmptyPublisher(funding, publishersFile);
  for (const warning of lowFundingWarnings(funding)) out.warn(warning);
  // The scraper config: merged into, or created from the configuration and the chain. Creating
  // it needs the staking provider; without one configured, the key files (this command's
  // product) are still written, and the operator is told the config was not.
  const providerConfigured =
    config.optional("AZTEC_STAKING_PROVIDER_ID") !== undefined ||
    config.optional("AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS") !== undefined;
  let scraperBase: ScraperConfig | undefined = existingScraperConfig;
  if (!scraperBase && providerConfigured) {
    const registry = await resolveRegistryContext(chain, config);
    scraperBase = newScraperConfig({
      network: config.network,
      l1ChainId: chainId,
      stakingProviderId: registry.providerId,
      stakingProviderAdmin: registry.providerAdmin,
    });
  }

  // The scraper config gets every validator of the first file, the new ones in state NEW.
  const first = files[0]!;
  const existingCount = production.validators.length;
  const deployed: DeployedAttester[] = [
    ...production.validators.map((v, i) => ({
      address: v.attester.eth,
      coinbase: v.coinbase ?? production.defaultCoinbase,
      publisher: first.assignment[i]!,
      isNew: false,
    })),
    ...newSources
      .flatMap((s) => s.validators)
      .map((v, i) => ({
        address: v.attester.eth,
        // No coinbase of their own yet: schemaVersion 2's file-wide one, if any, is theirs.
        coinbase: production.defaultCoinbase,
        publisher: first.assignment[existingCount + i]!,
        isNew: true,
      })),
  ];
  const scraperConfig =
    scraperBase &&
    scraperConfigSchema.parse({
      ...scraperBase,
      attesters: mergeScraperAttesters(scraperBase.attesters, deployed),
      lastUpdated: new Date().toISOString(),
    });

  // Write: all key files and the scraper config, atomically, only now that every check passed.
  await writeFilesAtomically([
    ...files.map((f) => ({ path: f.path, content: toJsonText(f.content) })),
    ...(scraperConfig
      ? [
          {
            path: scraperPath,
            content: toJsonText(scraperConfig),
            overwrite: true,
            createParent: true,
          },
        ]
      : []),
  ]);

  const newCount = deployed.length - existingCount;
  for (const f of files) {
    out.result(
      `wrote ${f.path} (${plural(deployed.length, "validator")}: ${count(existingCount)} existing + ` +
        `${count(newCount)} new, ${publishersUsed(f)})`,
    );
  }
  if (!scraperConfig) {
    out.warn(
      `scraper config ${scraperPath} not created: creating it needs the staking provider, and neither ` +
        "AZTEC_STAKING_PROVIDER_ID nor AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS is set. The key files are " +
        "complete; to record the new attesters as NEW, set one and run prepare-deployment again (it " +
        "writes the same key file under the next free name)",
    );
    return;
  }
  // What the config now says: earlier runs' attesters may still be NEW, this run's may not be
  // (one already listed keeps its state).
  const inStateNew = scraperConfig.attesters.filter((a) => a.lastSeenState === "NEW").length;
  out.result(
    `updated scraper config ${scraperPath} (${plural(scraperConfig.attesters.length, "attester")}, ` +
      `${count(inStateNew)} in state NEW)`,
  );
}

/** "3 publishers", or "4 of 28 publishers" when some of the file's publishers serve no validator. */
function publishersUsed(file: {
  publishers: readonly string[];
  assignment: readonly string[];
}): string {
  const used = new Set(file.assignment).size;
  return used === file.publishers.length
    ? plural(used, "publisher")
    : `${count(used)} of ${plural(file.publishers.length, "publisher")}`;
}

/**
 * A path in an output key file, placed in the input it came from: validators beyond the
 * production file's are the new keys, in the order of the --new-public-keys files.
 */
function locateInInputs(
  path: readonly PropertyKey[],
  production: ProductionSource,
  newSources: readonly NewKeysSource[],
): ErrorLocation {
  if (path[0] === "validators" && typeof path[1] === "number") {
    let index = path[1] - production.validators.length;
    for (const source of index >= 0 ? newSources : []) {
      if (index < source.validators.length)
        return locate(source.file, ["validators", index, ...path.slice(2)]);
      index -= source.validators.length;
    }
  }
  return locate(production.file, path);
}

/** Without --new-public-keys: the single public-*.json in the CWD that process-private-keys wrote. */
async function findPublicKeysFile(cwd: string, info: (line: string) => void): Promise<string> {
  const candidates = (await readdir(cwd)).filter((name) => /^public-.+\.json$/.test(name)).sort();
  if (candidates.length !== 1) {
    throw new UsageError(
      candidates.length === 0
        ? "no public-*.json in the current directory; pass the new public keys with --new-public-keys <file>"
        : `several public-*.json files here (${candidates.join(", ")}); choose with --new-public-keys <file>`,
    );
  }
  info(`using new public keys from ${candidates[0]} (found in the current directory)`);
  return candidates[0]!;
}
