import { Command, Option } from "commander";
import { createChainClient, readBlockNumber } from "../../core/chain/client.js";
import { readDeploymentChainState } from "../../core/chain/funding.js";
import {
  keyFilesToWrite,
  loadDeploymentInputs,
  outputPaths,
} from "../../core/files/deployment-files.js";
import { writeDeployment } from "../../core/files/deployment-write.js";
import { NodeKeystoreCheck, type LocateIssue } from "../../core/files/node-keystore-check.js";
import { toJsonText } from "../../core/files/safe-write.js";
import {
  deploymentScraperUpdate,
  loadScraperConfig,
  refuseForeignScraperConfig,
  scraperConfigBase,
  scraperConfigPath,
} from "../../core/files/scraper-config.js";
import type { DeployedAttester } from "../../core/plan/scraper-attesters.js";
import { deployedAttesters, locateInInputs } from "../../core/plan/deployment-plan.js";
import { assessKeyFilesFunding, refuseUnfundedPublishers } from "../../core/plan/funding.js";
import type { ScraperConfig } from "../../types/scraper-config.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { positiveIntegerOption } from "../options.js";
import { count, plural, type Output } from "../output.js";

interface Options {
  newPublicKeys?: string[];
  highAvailabilityCount?: number;
  output?: string;
}

export function prepareDeploymentCommand(run: CliRun): Command {
  return new Command("prepare-deployment")
    .description(commandSummary("prepare-deployment"))
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
    .action(commandAction(run, prepareDeployment));
}

export async function prepareDeployment(
  productionFile: string,
  publishersFile: string,
  options: Options,
  { out, config, cwd }: CommandContext,
): Promise<number> {
  // The node's own keystore check loads on a worker thread while the inputs are read.
  await using nodeCheck = new NodeKeystoreCheck();

  // Load and check every input.
  const scraperPath = scraperConfigPath(config.network);
  const where = { ...options, publishersFile, cwd, scraperConfig: scraperPath };
  const inputs = await loadDeploymentInputs(productionFile, { ...where, info: out.info });
  const { production, newSources } = inputs;

  // Plan: which validators, which publisher each gets, which files (none of them an input).
  const { files, prefixes } = await keyFilesToWrite(inputs, where);
  // A rejection is shown in the input to fix (production file or new keys), not the unwritten output.
  const locateIssue: LocateIssue = (path) => locateInInputs(path, production, newSources);
  const contents = files.map((f) => f.content);
  await nodeCheck.refuseWhatTheNodeRejects(contents, locateIssue);
  const existingScraperConfig = await loadScraperConfig(scraperPath);

  // Check the chain, every read at one block: the chain id, every publisher's balance, the
  // staking provider (when one is configured), which the scraper config must be for.
  const chain = createChainClient(config);
  const blockNumber = await readBlockNumber(chain);
  const publishers = files.flatMap((f) => f.publishers);
  const onChain = await readDeploymentChainState(chain, config, { publishers, blockNumber });
  const { chainId, balances, registry } = onChain;
  const owner = { path: scraperPath, chainId, providerId: registry?.providerId };
  refuseForeignScraperConfig(existingScraperConfig, owner);
  const funding = assessKeyFilesFunding(files, balances, config.minWeiPerAttester);
  for (const warning of refuseUnfundedPublishers(funding, publishersFile)) out.warn(warning);

  // Write: all key files and the scraper config as one unit, only now that every check passed;
  // the scraper config is merged under its lock, into what it holds then (concurrent runs).
  const base = scraperConfigBase(existingScraperConfig, { network: config.network, ...onChain });
  const deployed = deployedAttesters(production, newSources, files[0]!.assignment);
  const written = await writeDeployment({
    keyFiles: contents.map((content) => toJsonText(content)),
    paths: () => outputPaths(productionFile, options.output, prefixes, cwd),
    moveOnWhenTaken: options.output === undefined,
    scraper: deploymentScraperUpdate(owner, base, deployed),
    warn: out.warn,
  });
  reportDeployment(out, { files, paths: written.paths, deployed, production });
  reportScraperConfig(out, scraperPath, written.scraperConfig);
  return 0;
}

function reportDeployment(
  out: Output,
  {
    files,
    paths,
    deployed,
    production,
  }: {
    files: readonly { publishers: string[]; assignment: string[] }[];
    /** Where each file went (under the lock: maybe another name than planned). */
    paths: readonly string[];
    deployed: readonly DeployedAttester[];
    production: { validators: readonly unknown[] };
  },
): void {
  const existingCount = production.validators.length;
  const newCount = deployed.length - existingCount;
  for (const [i, f] of files.entries()) {
    out.result(
      `wrote ${paths[i]} (${plural(deployed.length, "validator")}: ${count(existingCount)} existing + ` +
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
