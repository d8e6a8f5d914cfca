import { Command, Option } from "commander";
import {
  refuseUnexpectedChainId,
  createChainClient,
  readBlockNumber,
} from "../../core/chain/client.js";
import {
  refuseDuplicateAttesters,
  refuseZeroCoinbases,
  deployedAttesters,
  locateInInputs,
} from "../../core/plan/deployment-plan.js";
import {
  assessKeyFilesFunding,
  refuseEmptyPublishers,
  lowFundingWarnings,
  readChainIdAndBalances,
} from "../../core/chain/funding.js";
import {
  findPublicKeysFile,
  loadNewKeysSources,
  loadProductionSource,
  keyFilesToWrite,
  loadPublisherGroups,
  outputPaths,
} from "../../core/files/deployment-files.js";
import { NodeKeystoreCheck } from "../../core/files/node-keystore-check.js";
import {
  consoleOutput,
  processTerminal,
  type Output,
  type Terminal,
  count,
  plural,
} from "../output.js";
import { toJsonText } from "../../core/files/safe-write.js";
import { writeDeployment } from "../../core/files/deployment-write.js";
import {
  refuseForeignScraperConfig,
  loadScraperConfig,
  deploymentScraperUpdate,
  scraperConfigBase,
  scraperConfigPath,
  type DeployedAttester,
} from "../../core/files/scraper-config.js";
import {
  isProviderConfigured,
  resolveRegistryContext,
  stakingProviderSettings,
} from "../../core/chain/staking-registry.js";
import type { ScraperConfig } from "../../types/scraper-config.js";
import { contextFor, type CommandContext } from "../context.js";
import { positiveIntegerOption } from "../options.js";
import { runAction } from "../run.js";

interface Options {
  newPublicKeys?: string[];
  highAvailabilityCount?: number;
  output?: string;
}

export function prepareDeploymentCommand(terminal: Terminal = processTerminal): Command {
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
      ).argParser(positiveIntegerOption("--high-availability-count")),
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
            await contextFor(command, consoleOutput(terminal)),
          ),
      ),
    );
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
  const production = await loadProductionSource(productionFile);
  const newKeyFiles = options.newPublicKeys ?? [await findPublicKeysFile(cwd, out.info)];
  const newSources = await loadNewKeysSources(newKeyFiles);
  const groups = await loadPublisherGroups(publishersFile);
  refuseDuplicateAttesters(production, newSources);
  refuseZeroCoinbases(production);

  // Plan: which validators, which publisher each gets, which files (none of them an input).
  const scraperPath = scraperConfigPath(config.network);
  const { files, prefixes } = await keyFilesToWrite(production, newSources, groups, {
    ...options,
    publishersFile,
    cwd,
    scraperConfig: scraperPath,
  });
  // A rejection is shown in the input to fix (production file or new keys), not the unwritten output.
  const locateIssue = (path: readonly PropertyKey[]) =>
    locateInInputs(path, production, newSources);
  await nodeCheck.check(files.map((file) => ({ content: file.content, locate: locateIssue })));
  const existingScraperConfig = await loadScraperConfig(scraperPath);

  // Check the chain: the chain id and every publisher's balance in one batched round, every read
  // at one block (no two of them see different states).
  const chain = createChainClient(config);
  const atBlock = await readBlockNumber(chain);
  const allPublishers = files.flatMap((f) => f.publishers);
  const { chainId, balances } = await readChainIdAndBalances(chain, allPublishers, atBlock);
  refuseUnexpectedChainId(chain, config, chainId);
  // The scraper config must be for this chain and, when one is configured, this provider.
  const providerConfigured = isProviderConfigured(stakingProviderSettings(config));
  const registry = providerConfigured
    ? await resolveRegistryContext(chain, config, atBlock)
    : undefined;
  const scraperOwner = { path: scraperPath, chainId, providerId: registry?.providerId };
  refuseForeignScraperConfig(existingScraperConfig, scraperOwner);
  const funding = assessKeyFilesFunding(files, balances, config.minWeiPerAttester);
  refuseEmptyPublishers(funding, publishersFile);
  for (const warning of lowFundingWarnings(funding)) out.warn(warning);
  // The scraper config: merged into, or created from the configuration and the chain. Creating
  // it needs the staking provider; without one configured, the key files (this command's
  // product) are still written, and the operator is told the config was not.
  const scraperBase = await scraperConfigBase(existingScraperConfig, {
    network: config.network,
    l1ChainId: chainId,
    providerConfigured,
    resolveProvider: () => resolveRegistryContext(chain, config, atBlock),
  });
  // The scraper config gets every validator of the first file, the new ones in state NEW.
  const deployed = deployedAttesters(production, newSources, files[0]!.assignment);

  // Write: all key files and the scraper config as one unit, only now that every check passed;
  // the scraper config is merged under its lock, into what it holds then (concurrent runs).
  const written = await writeDeployment({
    keyFiles: files.map((f) => toJsonText(f.content)),
    paths: () => outputPaths(productionFile, options.output, prefixes, cwd),
    moveOnWhenTaken: options.output === undefined,
    scraper: deploymentScraperUpdate(scraperOwner, scraperBase, deployed),
    warn: out.warn,
  });
  files.forEach((f, i) => (f.path = written.paths[i]!));
  reportDeployment(out, { files, deployed, existingCount: production.validators.length });
  reportScraperConfig(out, scraperPath, written.scraperConfig);
}

function reportDeployment(
  out: Output,
  {
    files,
    deployed,
    existingCount,
  }: {
    files: readonly { path: string; publishers: string[]; assignment: string[] }[];
    deployed: readonly DeployedAttester[];
    existingCount: number;
  },
): void {
  const newCount = deployed.length - existingCount;
  for (const f of files) {
    out.result(
      `wrote ${f.path} (${plural(deployed.length, "validator")}: ${count(existingCount)} existing + ` +
        `${count(newCount)} new, ${publishersUsed(f)})`,
    );
  }
}

function reportScraperConfig(
  out: Output,
  scraperPath: string,
  scraperConfig: ScraperConfig | undefined,
): void {
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
