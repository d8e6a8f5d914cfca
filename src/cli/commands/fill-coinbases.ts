import { Command } from "commander";
import { createChainClient, pinLatestBlock } from "../../core/chain/client.js";
import { readStakedEvents, stakedCoinbases } from "../../core/chain/attester-status.js";
import { resolveRegistryContext } from "../../core/chain/staking-registry.js";
import { locate } from "../../core/errors.js";
import { NodeKeystoreCheck } from "../../core/files/node-keystore-check.js";
import { refuseUnwritableTargets, toJsonText } from "../../core/files/safe-write.js";
import { loadProductionSource, outputPaths } from "../../core/files/deployment-files.js";
import { writeDeployment } from "../../core/files/deployment-write.js";
import { applyChainStates } from "../../core/plan/scraper-attesters.js";
import {
  loadScraperConfig,
  scraperConfigPath,
  scraperConfigWrite,
  type ScraperConfigOwner,
} from "../../core/files/scraper-config.js";
import { refuseDuplicateAttesters } from "../../core/plan/deployment-plan.js";
import {
  planCoinbaseFill,
  type CoinbaseFillPlan as CoinbaseFill,
} from "../../core/plan/coinbase-fill.js";
import type { ScraperConfig } from "../../types/scraper-config.js";
import { count, plural, stakedEventsProgress, type Output } from "../output.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { blockNumberOption } from "../options.js";

interface Options {
  output?: string;
  fromBlock?: bigint;
}

export function fillCoinbasesCommand(run: CliRun): Command {
  return new Command("fill-coinbases")
    .description(commandSummary("fill-coinbases"))
    .argument(
      "<production-file>",
      "the key file deployed on the node (one file at a time; high-availability files one by one)",
    )
    .option(
      "-o, --output <file>",
      "where to write (default: <production-file>.new in the CWD, .new2 … if taken)",
    )
    .option(
      "--from-block <n>",
      "read StakedWithProvider events from this block (default: the registry's deployment block)",
      blockNumberOption("--from-block"),
    )
    .addHelpText(
      "after",
      `
Each validator's coinbase is the reward split contract the staking registry created when a
delegator staked it (its StakedWithProvider event). A validator whose coinbase is set to another
address is refused, naming both; one not staked yet keeps no coinbase and is listed. Nothing to
fill: says so and writes nothing. The scraper config gets the same coinbases.

Examples:
  $ aztec-butler fill-coinbases prod-testnet-keyfile.json
  $ for f in A_prod.json B_prod.json; do aztec-butler fill-coinbases "$f"; done`,
    )
    .action(commandAction(run, fillCoinbases));
}

export async function fillCoinbases(
  file: string,
  options: Options,
  { out, config, cwd }: CommandContext,
): Promise<number> {
  // The node's own keystore check loads on a worker thread while the inputs and the chain are read.
  await using nodeCheck = new NodeKeystoreCheck();

  // Load and check the production file (as prepare-deployment does), and the outputs' targets.
  const production = await loadProductionSource(file);
  refuseDuplicateAttesters(production, []);
  const outputsNow = () => outputPaths(file, options.output, [""], cwd);
  const scraperPath = scraperConfigPath(config.network);
  await refuseUnwritableTargets([
    ...(await outputsNow()).map((path) => ({ path, hint: "choose another --output" })),
    { path: scraperPath, overwrite: true, createParent: true, updatesItself: true },
  ]);

  // Check the chain: the provider's StakedWithProvider events up to one pinned block.
  const chain = createChainClient(config);
  const block = await pinLatestBlock(chain);
  const blockNumber = block.number;
  const registry = await resolveRegistryContext(chain, { config, blockNumber });
  const range = { fromBlock: options.fromBlock, onProgress: stakedEventsProgress(out) };
  const staked = await readStakedEvents(chain, { config, registry, blockNumber, ...range });
  out.progressDone();
  for (const warning of staked.warnings) out.warn(warning);

  // Plan: each validator without a coinbase gets its split; a different coinbase is refused.
  const plan = planCoinbaseFill(production, stakedCoinbases(staked));
  for (const { index, attester } of plan.notStaked)
    out.info(`not staked yet (keeps no coinbase): validator ${index} ${attester}`);
  if (plan.filled.length === 0) return reportNothingToFill(out, file, plan);
  await nodeCheck.refuseWhatTheNodeRejects([plan.content], (path) => locate(file, path));

  // Write the key file and the scraper config's coinbases as one unit, then report.
  const owner = { path: scraperPath, chainId: registry.chainId, providerId: registry.providerId };
  const written = await writeFilledKeyFile(plan, {
    owner,
    paths: outputsNow,
    moveOnWhenTaken: options.output === undefined,
    warn: out.warn,
  });
  reportFill(out, { ...written, plan, blockNumber, scraperPath });
  return 0;
}

/**
 * The filled key file and the scraper config's coinbases, written as prepare-deployment writes
 * (writeDeployment: under the scraper config's lock, `.new2` when `.new` is taken meanwhile,
 * crash journal). `coinbasesSet`: how many of the config's entries changed; undefined when there
 * is no scraper config (it is not created here).
 */
async function writeFilledKeyFile(
  plan: CoinbaseFill,
  target: {
    owner: ScraperConfigOwner;
    paths: () => Promise<string[]>;
    moveOnWhenTaken: boolean;
    warn: (line: string) => void;
  },
): Promise<{ path: string; coinbasesSet: number | undefined }> {
  const { owner } = target;
  const scraperExists = (await loadScraperConfig(owner.path)) !== undefined;
  let changed = 0;
  const written = await writeDeployment({
    keyFiles: [toJsonText(plan.content)],
    paths: target.paths,
    moveOnWhenTaken: target.moveOnWhenTaken,
    scraper: scraperExists
      ? scraperConfigWrite(owner, (current) => {
          const updated = current && withCoinbases(current, plan);
          changed = updated?.changed ?? 0;
          return updated?.config;
        })
      : undefined,
    warn: target.warn,
  });
  return { path: written.paths[0]!, coinbasesSet: written.scraperConfig ? changed : undefined };
}

/**
 * The scraper config with the filled coinbases applied (matched in any case): deployed with the
 * file written now, and the split the chain expects.
 */
function withCoinbases(
  current: ScraperConfig,
  plan: CoinbaseFill,
): { config: ScraperConfig; changed: number } {
  const applied = applyChainStates(
    current.attesters,
    plan.filled.map((f) => ({
      address: f.attester,
      coinbase: f.coinbase,
      expectedCoinbase: f.coinbase,
    })),
  );
  return { config: { ...current, attesters: applied.attesters }, changed: applied.changed };
}

function reportNothingToFill(out: Output, file: string, plan: CoinbaseFill): number {
  out.result(
    `nothing to fill in ${file}: ${plural(plan.alreadySet, "validator")} already ${plan.alreadySet === 1 ? "has its" : "have their"} split as coinbase, ` +
      `${count(plan.notStaked.length)} not staked yet; nothing written`,
  );
  return 0;
}

function reportFill(
  out: Output,
  written: {
    path: string;
    plan: CoinbaseFill;
    blockNumber: bigint;
    scraperPath: string;
    coinbasesSet: number | undefined;
  },
): void {
  const { plan, scraperPath, coinbasesSet } = written;
  out.result(
    `wrote ${written.path} (${plural(plan.filled.length, "coinbase")} filled from StakedWithProvider events at block ${written.blockNumber}; ` +
      `${count(plan.alreadySet)} already set, ${count(plan.notStaked.length)} not staked yet)`,
  );
  for (const { index, attester, coinbase } of plan.filled)
    out.info(`  validator ${index} ${attester}: coinbase ${coinbase}`);
  if (coinbasesSet === undefined)
    out.warn(`no scraper config at ${scraperPath}; it was not updated`);
  else
    out.result(`updated scraper config ${scraperPath} (${plural(coinbasesSet, "coinbase")} set)`);
}
