import { Command } from "commander";
import { formatEther } from "viem";
import { createChainClient, pinLatestBlock } from "../../core/chain/client.js";
import {
  readAttesterStatusFacts,
  stakedCoinbases,
  type AttesterStatusFacts,
} from "../../core/chain/attester-status.js";
import { resolveRegistryContext, type RegistryContext } from "../../core/chain/staking-registry.js";
import {
  readProviderQueueHealth,
  type ProviderQueueHealthFacts,
} from "../../core/chain/provider-queue-health.js";
import { type ChainClient } from "../../core/chain/client.js";
import {
  classifyProviderQueue,
  describeQueueIssue,
  inProcessKeyCheckWarning,
  type ProviderQueueHealth,
} from "../../core/plan/provider-queue-health.js";
import { ExitCode, InputMissingError } from "../../core/errors.js";
import {
  loadStatusAttesters,
  statusAttestersOfScraperConfig,
  withRecordedStates,
  type StatusAttester,
} from "../../core/files/status-attesters.js";
import {
  loadScraperConfig,
  missingScraperConfig,
  scraperConfigPath,
  scraperConfigWrite,
  type ScraperConfigOwner,
} from "../../core/files/scraper-config.js";
import { applyChainStates, type ChainStateUpdate } from "../../core/plan/scraper-attesters.js";
import { writeScraperConfig } from "../../core/files/deployment-write.js";
import {
  buildStatusDocument,
  deployedCoinbases,
  publishersOf,
  type StatusDocument,
  type StatusRow,
} from "../../core/plan/status-report.js";
import { attesterStates } from "../../types/scraper-config.js";
import { statusMetricFamilies } from "../../core/plan/status-metrics.js";
import { writeMetricsFile } from "../../core/files/status-metrics-file.js";
import { refuseUnwritableTargets, type WriteTarget } from "../../core/files/safe-write.js";
import { count, plural, stakedEventsProgress, tableLines, type Output } from "../output.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { blockNumberOption, positiveIntegerOption } from "../options.js";

interface Options {
  json?: boolean;
  updateScraperConfig?: boolean;
  fromBlock?: bigint;
  minQueue?: number;
  /** Also write the status as Prometheus text format (node_exporter's textfile collector). */
  metricsFile?: string;
}

export function statusCommand(run: CliRun): Command {
  return new Command("status")
    .description(commandSummary("status"))
    .argument(
      "[key-file...]",
      "production (.new / deployed), public-key or private-key files (default: the scraper config's attesters)",
    )
    .option("--json", "print a machine-readable document instead of the table", false)
    .option(
      "--update-scraper-config",
      "write the derived states and the chain's coinbases into the scraper config",
      false,
    )
    .option(
      "--from-block <n>",
      "read StakedWithProvider events from this block (default: the registry's deployment block)",
      blockNumberOption("--from-block"),
    )
    .option(
      "--min-queue <n>",
      "also a problem: the provider queue holding fewer than n keys (delegations would find none)",
      positiveIntegerOption("--min-queue"),
    )
    .option(
      "--metrics-file <path>",
      "also write the status as Prometheus metrics (text format, for node_exporter's textfile collector), atomically",
    )
    .addHelpText(
      "after",
      `
Exit codes: 0 everything is consistent; ${ExitCode.needsOperator} something needs you (a coinbase missing or
not the attester's split, an active attester whose publisher has no ETH, an attester the chain
has never heard of although the scraper config says it was registered, an attester found in two
places, a provider queue entry that blocks or wastes delegations, a queue shorter than
--min-queue); the other codes as for every command (README).

The provider queue's health: every entry is checked as Aztec's rollup and GSE will check it when
a delegator stakes it: EXITING (its deposit reverts, so every stake does while it is at the
head), ALREADY_REGISTERED (validating or in the rollup's entry queue), DUPLICATE_IN_QUEUE (a second
copy), INVALID_KEYS, INVALID_PROOF_OF_POSSESSION (both fail at the flush and hand the stake
back). --json's providerQueue.blockedHead is how many entries from the head have a problem:
what drip-queue removes.

Examples:
  $ aztec-butler status prod-testnet-keyfile.json.new
  $ aztec-butler status --json | jq '.counts'
  $ aztec-butler status prod.json --update-scraper-config
  $ aztec-butler status A_prod.json B_prod.json --metrics-file /var/lib/node_exporter/textfile_collector/aztec_butler.prom`,
    )
    .action(commandAction(run, status));
}

export async function status(
  files: string[],
  options: Options,
  { out, config }: CommandContext,
): Promise<number> {
  // Load: the attesters of the key files, else of the scraper config; the outputs' targets.
  const scraperPath = scraperConfigPath(config.network);
  const scraperConfig = await loadScraperConfig(scraperPath);
  const attesters = await attestersToReport(files, scraperConfig, scraperPath);
  if (options.updateScraperConfig && !scraperConfig) throw missingScraperConfig(scraperPath);
  await refuseUnwritableStatusOutputs(options, scraperPath, out);

  // Check the chain: everything at one pinned block.
  const chain = createChainClient(config);
  const block = await pinLatestBlock(chain);
  const registry = await resolveRegistryContext(chain, { config, blockNumber: block.number });
  const asked = { attesters: attesters.map((a) => a.address), publishers: publishersOf(attesters) };
  const at = { config, registry, block };
  const range = { fromBlock: options.fromBlock, onProgress: stakedEventsProgress(out) };
  const facts = await readAttesterStatusFacts(chain, { ...at, ...asked, ...range });
  out.progressDone();
  for (const warning of facts.staked.warnings) out.warn(warning);
  const queue = await providerQueueHealthOf(chain, registry, facts, out);
  const queueHealth = classifyProviderQueue(queue);

  // Plan: every attester's state and problems, and the provider queue's.
  const limits = { minQueue: options.minQueue, minWeiPerAttester: config.minWeiPerAttester };
  const document = statusDocumentOf(attesters, facts, { queueHealth, ...limits });

  // Write: the scraper config, when asked (under its lock); the metrics file, only now that the
  // status was read (a failed run leaves the old one).
  const owner = { path: scraperPath, chainId: registry.chainId, providerId: registry.providerId };
  if (options.updateScraperConfig) {
    const deployed = files.length > 0 ? deployedCoinbases(attesters) : new Map<string, string>();
    reportScraperConfigUpdate(out, owner, await recordChainStates(owner, document, deployed, out));
  }
  if (options.metricsFile !== undefined) {
    const labels = { network: config.network, provider: String(registry.providerId) };
    await writeMetricsFile(options.metricsFile, statusMetricFamilies(document), labels);
  }

  // Report.
  out.info(describeStatusReads(facts, registry.providerId));
  out.info(describeKeyChecks(queue, registry.providerId));
  if (options.metricsFile !== undefined)
    out.info(`wrote ${options.metricsFile} (Prometheus metrics)`);
  if (options.json) out.result(JSON.stringify(document, null, 2));
  else printTable(out, document, queueHealth);
  return needsOperator(document) ? ExitCode.needsOperator : 0;
}

/** "updated scraper config <path> (n attesters changed; m not listed in it, left out)". */
function reportScraperConfigUpdate(
  out: Output,
  owner: ScraperConfigOwner,
  outcome: ReturnType<typeof applyChainStates>,
): void {
  const unlisted = outcome.unlisted.length;
  out.info(
    `updated scraper config ${owner.path} (${plural(outcome.changed, "attester")} changed` +
      (unlisted > 0 ? `; ${count(unlisted)} not listed in it, left out` : "") +
      ")",
  );
}

function needsOperator(document: StatusDocument): boolean {
  return document.problems.length > 0 || document.providerQueue.problems.length > 0;
}

/** What the provider queue's health needs beyond what status has read: its entries' key checks. */
function providerQueueHealthOf(
  chain: ChainClient,
  registry: RegistryContext,
  facts: AttesterStatusFacts,
  out: Output,
): Promise<ProviderQueueHealthFacts> {
  return readProviderQueueHealth(chain, {
    registry,
    aztec: facts.aztec,
    queue: facts.providerQueue,
    entryQueue: [...facts.entryQueuePositions.keys()],
    knownStatuses: facts.rollupStatuses,
    blockNumber: facts.block.number,
    onInProcess: (n) => out.warn(inProcessKeyCheckWarning(n)),
  });
}

function describeKeyChecks(queue: ProviderQueueHealthFacts, providerId: bigint): string {
  return (
    `provider ${providerId}'s queue: ${plural(queue.keyChecks.size, "key store")} checked as the GSE ` +
    `will (${queue.checkedInProcess ? "in this process" : "in the node"}; ${plural(queue.calls, "call")})`
  );
}

/**
 * The files status writes, checked before the chain work: the scraper config (with
 * --update-scraper-config) and the metrics file, replaced on every run. Neither may be one of the
 * run's inputs under another name, nor each other, nor anything but a regular file.
 */
async function refuseUnwritableStatusOutputs(
  options: Options,
  scraperPath: string,
  out: Output,
): Promise<void> {
  const targets: WriteTarget[] = [];
  if (options.updateScraperConfig)
    targets.push({ path: scraperPath, overwrite: true, updatesItself: true });
  if (options.metricsFile !== undefined) {
    targets.push({
      path: options.metricsFile,
      overwrite: true,
      hint: "choose another --metrics-file",
    });
  }
  await refuseUnwritableTargets(targets);
  if (options.metricsFile !== undefined && !options.metricsFile.endsWith(".prom")) {
    out.warn(
      `${options.metricsFile}: node_exporter's textfile collector reads only files named *.prom`,
    );
  }
}

function statusDocumentOf(
  attesters: Parameters<typeof buildStatusDocument>[0],
  facts: AttesterStatusFacts,
  {
    queueHealth,
    minQueue,
    minWeiPerAttester,
  }: { queueHealth: ProviderQueueHealth; minQueue?: number; minWeiPerAttester: bigint },
): StatusDocument {
  return buildStatusDocument(attesters, {
    blockNumber: facts.block.number,
    blockTimestamp: facts.block.timestamp,
    providerQueuePositions: facts.providerQueuePositions,
    entryQueuePositions: facts.entryQueuePositions,
    rollupStatuses: facts.rollupStatuses,
    stakedCoinbases: stakedCoinbases(facts.staked),
    balances: facts.balances,
    flush: facts.flush,
    minWeiPerAttester,
    providerQueue: queueHealth,
    minQueue,
  });
}

/**
 * The derived states and the chain's expected coinbases (the splits) into the scraper config's
 * listed attesters, through the one scraper-config write (checked against the chain and the
 * provider). `deployed`: what the given key files deploy as each attester's `coinbase`.
 */
async function recordChainStates(
  owner: ScraperConfigOwner,
  document: StatusDocument,
  deployed: ReadonlyMap<string, string>,
  { warn }: Pick<Output, "warn">,
): Promise<ReturnType<typeof applyChainStates>> {
  let outcome: ReturnType<typeof applyChainStates> | undefined;
  const updates = document.attesters.map((row): ChainStateUpdate => ({
    address: row.address,
    state: row.state,
    expectedCoinbase: row.coinbase.chain ?? undefined,
    coinbase: deployed.get(row.address.toLowerCase()),
  }));
  await writeScraperConfig(
    scraperConfigWrite(owner, (current) => {
      if (!current) throw missingScraperConfig(owner.path);
      outcome = applyChainStates(current.attesters, updates);
      return { ...current, attesters: outcome.attesters };
    }),
    warn,
  );
  return outcome!;
}

function describeStatusReads(facts: AttesterStatusFacts, providerId: bigint): string {
  const { block, staked } = facts;
  return (
    `read at block ${block.number}: provider ${providerId}'s queue of ${count(facts.providerQueueLength)}, ` +
    `the rollup's entry queue of ${count(facts.entryQueueLength)}, ${plural(staked.events.length, "StakedWithProvider event")} ` +
    `(blocks ${staked.stats.fromBlock}..${block.number}, ${plural(staked.stats.requests, "log request")})`
  );
}

async function attestersToReport(
  files: readonly string[],
  scraperConfig: Awaited<ReturnType<typeof loadScraperConfig>>,
  scraperPath: string,
): Promise<StatusAttester[]> {
  if (files.length > 0) return withRecordedStates(await loadStatusAttesters(files), scraperConfig);
  if (!scraperConfig) {
    throw new InputMissingError(
      "NO_SCRAPER_CONFIG",
      "does not exist, and no key file was given; pass the key files to report on",
      { file: scraperPath },
    );
  }
  return statusAttestersOfScraperConfig(scraperConfig, scraperPath);
}

const short = (address: string | null) =>
  address ? `${address.slice(0, 8)}…${address.slice(-4)}` : "-";

function whereOf(row: StatusRow): string {
  if (row.providerQueuePosition !== null && row.chainState === "IN_STAKING_PROVIDER_QUEUE")
    return `provider queue #${row.providerQueuePosition}`;
  if (row.entryQueuePosition !== null && row.chainState === "IN_STAKING_QUEUE") {
    const estimate = row.entryQueueFlushEstimate;
    const when = estimate
      ? `, flushable epoch ${estimate.epoch} (~${new Date(estimate.timestamp * 1000).toISOString().slice(0, 16)}Z)`
      : "";
    return `entry queue #${row.entryQueuePosition}${when}`;
  }
  if (row.noLongerActive) return row.noLongerActive;
  return row.rollupStatus === "NONE" ? "-" : row.rollupStatus;
}

function coinbaseOf(row: StatusRow): string {
  const { keyFile, chain } = row.coinbase;
  if (keyFile && chain && keyFile === chain) return `${short(keyFile)} (= split)`;
  return `file ${short(keyFile)} / split ${short(chain)}`;
}

function publisherOf(row: StatusRow): string {
  if (!row.publisher) return "-";
  const { address, balanceWei, requiredWei } = row.publisher;
  return `${short(address)} ${formatEther(BigInt(balanceWei))}/${formatEther(BigInt(requiredWei))} ETH`;
}

function printTable(out: Output, document: StatusDocument, queue: ProviderQueueHealth): void {
  const rows = document.attesters.map((row) => [
    row.address,
    row.state,
    whereOf(row),
    coinbaseOf(row),
    publisherOf(row),
  ]);
  const header = ["ATTESTER", "STATE", "WHERE", "COINBASE", "PUBLISHER (balance/required)"];
  for (const line of tableLines(header, rows)) out.result(line);
  out.result("");
  out.result(
    attesterStates.map((state) => `${state} ${count(document.counts[state])}`).join(", ") +
      ` (${plural(document.attesters.length, "attester")})`,
  );
  for (const problem of document.problems)
    out.result(`needs you: ${problem.address ?? "the provider"}: ${problem.message}`);
  printProviderQueue(out, queue);
  if (!needsOperator(document)) out.result("everything is consistent");
}

/** The provider queue's health in words: a summary line, then one line per entry with a problem. */
function printProviderQueue(out: Output, queue: ProviderQueueHealth): void {
  const { length, firstIndex, blockedHead, issues } = queue;
  const held = `provider queue: ${plural(length, "key")}${length > 0 ? ` from index ${firstIndex}` : ""}`;
  if (issues.length === 0) {
    out.result(`${held}${length > 0 ? ", every one sound" : ""}`);
    return;
  }
  const head =
    blockedHead > 0
      ? `the first ${plural(blockedHead, "entry", "entries")} from the head ${blockedHead === 1 ? "has" : "have"} one, ` +
        "so the next delegation is not sound: remove them with drip-queue"
      : "the head is sound (drip-queue removes keys from the head only)";
  out.result(`${held}, ${plural(issues.length, "with a problem", "with problems")}; ${head}`);
  for (const issue of issues) {
    out.result(
      `needs you: provider queue index ${issue.index} ${issue.attester}: ${issue.problem}, ${describeQueueIssue(issue)}`,
    );
  }
}
