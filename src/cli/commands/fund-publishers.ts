import { Command, Option } from "commander";
import { formatEther, getAddress, parseEther } from "viem";
import {
  createChainClient,
  readBlockNumber,
  refuseUnexpectedChainId,
} from "../../core/chain/client.js";
import { readChainIdAndBalances, readPublishersWithCode } from "../../core/chain/funding.js";
import {
  fundingSafeFileName,
  fundPublishersOutputWrites,
  loadPublishingKeyFiles,
  refuseUnwritableFundingOutputs,
} from "../../core/files/funding-files.js";
import { toJsonText, writeFilesAtomically } from "../../core/files/safe-write.js";
import { assessFunding, publisherCodeWarnings } from "../../core/plan/funding.js";
import {
  planPublisherTopUps,
  refuseTopUpTargetBelowMinimum,
  refuseTopUpTotalOverLimit,
  topUpTransfers,
  totalTopUp,
  type PublisherTopUp,
} from "../../core/plan/publisher-top-ups.js";
import { servedAttesters, type ServedAttesters } from "../../core/plan/publishers.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { ethAmountOption } from "../options.js";
import { plural, reportWrites, tableLines, type Output } from "../output.js";

interface Options {
  /** Wei per attester a top-up brings a publisher to (default 2 × MIN_ETH_PER_ATTESTER). */
  targetEthPerAttester?: bigint;
  /** Wei: a larger total is refused. */
  maxTotalEth: bigint;
  output?: string;
  force?: boolean;
  /** Also write the transfers as one Safe Transaction Builder file, <prefix>.json. */
  safeTxBuilder?: string;
}

export const DEFAULT_MAX_TOTAL_ETH = "10";

export function fundPublishersCommand(run: CliRun): Command {
  return new Command("fund-publishers")
    .description(commandSummary("fund-publishers"))
    .argument(
      "<key-file...>",
      "the deployed key files (high-availability A_…, B_… and server-keyed files together)",
    )
    .addOption(
      new Option(
        "--target-eth-per-attester <eth>",
        "top a publisher up to this much ETH per attester it serves (default: 2 × MIN_ETH_PER_ATTESTER)",
      ).argParser(ethAmountOption("--target-eth-per-attester")),
    )
    .addOption(
      new Option("--max-total-eth <eth>", "refuse when the top-ups add up to more than this")
        .argParser(ethAmountOption("--max-total-eth"))
        .default(parseEther(DEFAULT_MAX_TOTAL_ETH), `${DEFAULT_MAX_TOTAL_ETH} ETH`),
    )
    .option("-o, --output <file>", "also write the transfers JSON (what stdout gets) to <file>")
    .option("--force", "overwrite the output files if they exist", false)
    .option(
      "--safe-tx-builder <prefix>",
      "also write every transfer into one Safe{Wallet} Transaction Builder file <prefix>.json",
    )
    .addHelpText(
      "after",
      `
Every publisher of the key files (a validator's own, else schemaVersion 2's file-wide publisher,
else its attester, as the node resolves them) and the attesters it serves, summed over the files.
All balances are read at one block. A publisher below MIN_ETH_PER_ATTESTER × its attesters is
topped up to --target-eth-per-attester × its attesters; the others are left alone.

stdout is JSON only, the transfers in the order the publishers first appear:
  { "transactions": [ { "to": "0x…", "value": "<wei>", "data": "0x" } ] }
({"transactions": []} when every publisher is funded.) A table of every publisher and the total
go to stderr. A total above --max-total-eth is refused; a publisher that is a contract is warned
about. Sending the transfers (from a funder account or a multisig) is up to you.

Examples:
  $ aztec-butler fund-publishers prod-testnet-keyfile.json > transfers.json
  $ aztec-butler fund-publishers A_prod.json B_prod.json C_prod.json --safe-tx-builder fund-publishers
  $ aztec-butler fund-publishers prod.json --target-eth-per-attester 0.5 --max-total-eth 20`,
    )
    .action(commandAction(run, fundPublishers));
}

export async function fundPublishers(
  files: string[],
  options: Options,
  { out, config }: CommandContext,
): Promise<number> {
  // Load: every publisher and the attesters it serves; the amounts; the outputs' targets.
  const served = servedAttesters(await loadPublishingKeyFiles(files));
  const minimum = config.minWeiPerAttester;
  const target = options.targetEthPerAttester ?? 2n * minimum;
  refuseTopUpTargetBelowMinimum(target, minimum);
  await refuseUnwritableFundingOutputs(options);

  // Check the chain: the chain id, every balance and every publisher's code, at one block.
  const chain = createChainClient(config);
  const blockNumber = await readBlockNumber(chain);
  const publishers = [...served.loads.keys()];
  const [{ chainId, balances }, withCode] = await Promise.all([
    readChainIdAndBalances(chain, { publishers, blockNumber }),
    readPublishersWithCode(chain, { publishers, blockNumber }),
  ]);
  refuseUnexpectedChainId(chain, config, chainId);

  // Plan: who is below the minimum, and what brings it to the target; the total's safety limit.
  const topUps = planPublisherTopUps(assessFunding(served.loads, balances, minimum), target);
  refuseTopUpTotalOverLimit(topUps, options.maxTotalEth);
  for (const warning of publisherCodeWarnings(withCode)) out.warn(warning);

  // Write (only now that every check passed), then report.
  const transfers = topUpTransfers(topUps);
  const stdoutJson = toJsonText({ transactions: transfers });
  const description = describeTopUps(topUps, { target, minimum, blockNumber });
  const writes = fundPublishersOutputWrites({
    ...options,
    stdoutJson,
    chainId,
    transfers,
    description,
  });
  await writeFilesAtomically(writes);
  out.result(stdoutJson.trimEnd());
  printTopUpTable(out, topUps, served);
  out.info(description);
  reportWrites(out, writes, options.output);
  if (options.safeTxBuilder && transfers.length === 0)
    out.info(`nothing to send: ${fundingSafeFileName(options.safeTxBuilder)} not written`);
  return 0;
}

function describeTopUps(
  topUps: readonly PublisherTopUp[],
  { target, minimum, blockNumber }: { target: bigint; minimum: bigint; blockNumber: bigint },
): string {
  const funded = topUps.filter((t) => t.topUp > 0n).length;
  if (topUps.length === 0) return "nothing to fund: the key files name no validator";
  const rule =
    `MIN_ETH_PER_ATTESTER ${formatEther(minimum)} ETH, topped up to ${formatEther(target)} ETH ` +
    `per attester served; balances at block ${blockNumber}`;
  if (funded === 0) {
    return `nothing to fund: all ${plural(topUps.length, "publisher")} at or above their minimum (${rule})`;
  }
  return (
    `total: ${formatEther(totalTopUp(topUps))} ETH to ${funded} of ${plural(topUps.length, "publisher")} ` +
    `(${rule})`
  );
}

function printTopUpTable(
  out: Output,
  topUps: readonly PublisherTopUp[],
  served: ServedAttesters,
): void {
  const eth = (wei: bigint) => formatEther(wei);
  const rows = topUps.map((t) => [
    `${getAddress(t.publisher)}${served.attestersAsPublishers.has(t.publisher) ? " (attester)" : ""}`,
    String(t.attesters),
    eth(t.balance),
    eth(t.required),
    t.topUp > 0n ? eth(t.topUp) : "-",
  ]);
  const header = ["PUBLISHER", "ATTESTERS", "BALANCE (ETH)", "MINIMUM (ETH)", "TOP-UP (ETH)"];
  for (const line of tableLines(header, rows)) out.info(line);
}
