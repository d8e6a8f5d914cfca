import { Command, Option } from "commander";
import { formatEther, getAddress, parseEther } from "viem";
import {
  refuseUnexpectedChainId,
  createChainClient,
  readBlockNumber,
} from "../../core/chain/client.js";
import {
  assessFunding,
  publisherCodeWarnings,
  readChainIdAndBalances,
  readPublishersWithCode,
} from "../../core/chain/funding.js";
import {
  fundingSafeFileName,
  fundPublishersOutputWrites,
  loadPublishingKeyFiles,
} from "../../core/files/funding-files.js";
import {
  refuseUnwritableTargets,
  toJsonText,
  writeFilesAtomically,
} from "../../core/files/safe-write.js";
import { refuseOutputsThatAreInputs } from "../../core/files/file-identity.js";
import { servedAttesters, type ServedAttesters } from "../../core/plan/publishers.js";
import {
  refuseTopUpTargetBelowMinimum,
  refuseTopUpTotalOverLimit,
  planPublisherTopUps,
  topUpTransfers,
  totalTopUp,
  type PublisherTopUp,
} from "../../core/plan/publisher-top-ups.js";
import { consoleOutput, processTerminal, type Output, type Terminal, plural } from "../output.js";
import { contextFor, type CommandContext } from "../context.js";
import { ethAmountOption } from "../options.js";
import { runAction } from "../run.js";

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

export function fundPublishersCommand(terminal: Terminal = processTerminal): Command {
  return new Command("fund-publishers")
    .description(
      "print the ETH transfers that top up every publisher below MIN_ETH_PER_ATTESTER × the attesters it serves",
    )
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
    .action(
      runAction(async (files: string[], options: Options, command: Command) =>
        fundPublishers(files, options, await contextFor(command, consoleOutput(terminal))),
      ),
    );
}

export async function fundPublishers(
  files: string[],
  options: Options,
  ctx: CommandContext,
): Promise<void> {
  const { out, config } = ctx;

  // Load: every publisher and the attesters it serves; the amounts; the outputs' targets.
  const served = servedAttesters(await loadPublishingKeyFiles(files));
  const minimum = config.minWeiPerAttester;
  const target = options.targetEthPerAttester ?? 2n * minimum;
  refuseTopUpTargetBelowMinimum(target, minimum);
  const safeFile = options.safeTxBuilder && fundingSafeFileName(options.safeTxBuilder);
  // No output is an input of the run under any name (the key files were read above).
  await refuseOutputsThatAreInputs([
    ...(options.output === undefined
      ? []
      : [{ path: options.output, hint: "choose another --output" }]),
    ...(safeFile ? [{ path: safeFile, hint: "choose another --safe-tx-builder" }] : []),
  ]);
  if (options.output !== undefined) {
    await refuseUnwritableTargets([{ path: options.output, overwrite: options.force }]);
  }

  // Check the chain: the chain id, every balance and every publisher's code, at one block.
  const chain = createChainClient(config);
  const atBlock = await readBlockNumber(chain);
  const publishers = [...served.loads.keys()];
  const [{ chainId, balances }, withCode] = await Promise.all([
    readChainIdAndBalances(chain, publishers, atBlock),
    readPublishersWithCode(chain, { publishers, blockNumber: atBlock }),
  ]);
  refuseUnexpectedChainId(chain, config, chainId);

  // Plan: who is below the minimum, and what brings it to the target; the total's safety limit.
  const topUps = planPublisherTopUps(assessFunding(served.loads, balances, minimum), target);
  refuseTopUpTotalOverLimit(topUps, options.maxTotalEth);
  for (const warning of publisherCodeWarnings(withCode)) out.warn(warning);

  // Write (only now that every check passed), then report.
  const transfers = topUpTransfers(topUps);
  const stdoutJson = toJsonText({ transactions: transfers });
  const writes = fundPublishersOutputWrites({
    ...options,
    stdoutJson,
    chainId,
    transfers,
    description: describeTopUps(topUps, { target, minimum, atBlock }),
  });
  await writeFilesAtomically(writes);
  out.result(stdoutJson.trimEnd());
  printTopUpTable(out, topUps, served);
  out.info(describeTopUps(topUps, { target, minimum, atBlock }));
  for (const { path } of writes)
    out.info(`wrote ${path}${path === options.output ? "" : " (Safe Transaction Builder)"}`);
  if (safeFile && transfers.length === 0) out.info(`nothing to send: ${safeFile} not written`);
}

function describeTopUps(
  topUps: readonly PublisherTopUp[],
  { target, minimum, atBlock }: { target: bigint; minimum: bigint; atBlock: bigint },
): string {
  const funded = topUps.filter((t) => t.topUp > 0n).length;
  if (topUps.length === 0) return "nothing to fund: the key files name no validator";
  const rule =
    `MIN_ETH_PER_ATTESTER ${formatEther(minimum)} ETH, topped up to ${formatEther(target)} ETH ` +
    `per attester served; balances at block ${atBlock}`;
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  out.info(line(header));
  for (const row of rows) out.info(line(row));
}
