import { Command } from "commander";
import { createChainClient, pinLatestBlock } from "../../core/chain/client.js";
import { estimateDripTransaction } from "../../core/chain/drip-transaction.js";
import { readProviderQueueHealthAlone } from "../../core/chain/provider-queue-health.js";
import { resolveRegistryContext, type RegistryContext } from "../../core/chain/staking-registry.js";
import { ExitCode } from "../../core/errors.js";
import {
  adminTransactionWrites,
  safeTransactionBuilderFileNames,
} from "../../core/files/safe-tx-builder.js";
import {
  refuseUnwritableTargets,
  toJsonText,
  writeFilesAtomically,
} from "../../core/files/safe-write.js";
import {
  classifyProviderQueue,
  describeQueueIssue,
  inProcessKeyCheckWarning,
  planDrip,
  type DripPlan,
} from "../../core/plan/provider-queue-health.js";
import { calldataJson } from "../../core/keys/registration.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { positiveIntegerOption } from "../options.js";
import { count, plural, reportWrites } from "../output.js";

interface Options {
  count?: number;
  output?: string;
  force?: boolean;
  /** Also write the Safe Transaction Builder file <prefix>-1-of-1.json. */
  safeTxBuilder?: string;
}

export function dripQueueCommand(run: CliRun): Command {
  return new Command("drip-queue")
    .description(commandSummary("drip-queue"))
    .option(
      "--count <n>",
      "remove the first n keys (default: as many as have a problem from the head on, status' blockedHead)",
      positiveIntegerOption("--count"),
    )
    .option("-o, --output <file>", "also write the calldata JSON (what stdout gets) to <file>")
    .option("--force", "overwrite the output files if they exist", false)
    .option(
      "--safe-tx-builder <prefix>",
      "also write the transaction as a Safe{Wallet} Transaction Builder file <prefix>-1-of-1.json",
    )
    .addHelpText(
      "after",
      `
A delegator's stake always takes the head of the provider's queue. A key there that the rollup
refuses (an attester that is exiting) makes every stake revert; one whose deposit fails at the
rollup's flush (already registered, invalid keys or proof of possession, a second copy) takes a
delegator's stake only to hand it back. Only the provider admin can remove keys, and only from
the head: dripProviderQueue(providerId, n). drip-queue checks every entry as status does and
prints that call, with n the number of entries from the head that have a problem.

The keys it removes, with their problems, go to stderr. --count removes exactly n; removing
healthy keys is allowed, with a warning (add them again with add-keys, or they are never staked).
The call is simulated with eth_estimateGas from the admin before anything is printed: a revert is
refused with its decoded reason. stdout is JSON only, as add-keys prints one transaction:
  { "contractToCall": "0x<registry>", "callData": "0x…" }

Exit codes: 0 printed; ${ExitCode.dataError} nothing to drip (the queue's head is healthy and no --count), --count
beyond the queue's length, or the call would revert; the other codes as for every command (README).

Examples:
  $ aztec-butler drip-queue > drip.json
  $ aztec-butler --network mainnet drip-queue --safe-tx-builder drip
  $ aztec-butler drip-queue --count 5 -o drip.json`,
    )
    .action(commandAction(run, dripQueue));
}

export async function dripQueue(options: Options, ctx: CommandContext): Promise<number> {
  const { out, config } = ctx;

  // Load: nothing to read but the configuration; the output targets must be free.
  const targets = outputTargets(options);
  await refuseUnwritableTargets(
    targets.map((path) => ({ path, overwrite: options.force, hint: "pass --force to replace it" })),
  );

  // Check the chain: every entry of the queue, at one pinned block.
  const chain = createChainClient(config);
  const block = await pinLatestBlock(chain);
  const registry = await resolveRegistryContext(chain, { config, blockNumber: block.number });
  const { facts, calls } = await readProviderQueueHealthAlone(chain, {
    config,
    registry,
    blockNumber: block.number,
    onInProcess: (n) => out.warn(inProcessKeyCheckWarning(n)),
  });
  // Plan: how many keys from the head, then prove the call works, sent by the admin.
  const plan = planDrip(
    classifyProviderQueue(facts),
    facts.attesters,
    options.count,
    registry.providerId,
  );
  const transaction = await estimateDripTransaction(chain, { registry, count: plan.count });

  // Write (only now that every check passed), then report.
  const stdoutJson = toJsonText(calldataJson([transaction]));
  const writes = adminTransactionWrites({
    ...options,
    command: "drip-queue",
    stdoutJson,
    registry,
    transactions: [{ ...transaction, description: dripDescription(plan, registry) }],
  });
  await writeFilesAtomically(writes);
  out.result(stdoutJson.trimEnd());
  out.info(
    `provider ${registry.providerId}'s queue of ${count(facts.attesters.length)} checked at block ` +
      `${block.number} (${plural(calls, "call")} in batches of ${chain.batchSize})`,
  );
  reportDrip(ctx, plan, registry, transaction.gas);
  reportWrites(out, writes, options.output);
  return 0;
}

function outputTargets(options: Options): string[] {
  return [
    ...(options.output === undefined ? [] : [options.output]),
    ...(options.safeTxBuilder === undefined
      ? []
      : safeTransactionBuilderFileNames(options.safeTxBuilder, 1)),
  ];
}

function dripDescription(plan: DripPlan, registry: RegistryContext): string {
  return (
    `dripProviderQueue: ${plural(plan.count, "key")} from the head of staking provider ` +
    `${registry.providerId}'s queue (index ${plan.removed[0]!.index} on)`
  );
}

function reportDrip(
  { out }: CommandContext,
  plan: DripPlan,
  registry: RegistryContext,
  gas: bigint,
): void {
  out.info(
    `dripProviderQueue(${registry.providerId}, ${plan.count}) to registry ${registry.registry} on chain ` +
      `${registry.chainId}, estimated ${count(gas)} gas; provider ${registry.providerId}'s admin ` +
      `${registry.providerAdmin} sends it. It removes, from the head:`,
  );
  for (const key of plan.removed) {
    out.info(
      `  index ${key.index} ${key.attester}: ` +
        (key.issue ? `${key.issue.problem}, ${describeQueueIssue(key.issue)}` : "healthy"),
    );
  }
  if (plan.healthy.length > 0) {
    out.warn(
      `${plural(plan.healthy.length, "healthy key")} removed too (${plan.healthy
        .map((k) => `index ${k.index} ${k.attester}`)
        .join(", ")}): ` +
        (plan.healthy.length === 1
          ? "add it again with add-keys, or it is never staked"
          : "add them again with add-keys, or they are never staked"),
    );
  }
}
