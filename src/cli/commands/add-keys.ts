import { Command } from "commander";
import { createChainClient, readBlockNumber } from "../../core/chain/client.js";
import { resolveAztecL1, type AztecL1 } from "../../core/chain/rollup.js";
import { refuseRegisteredAttesters } from "../../core/plan/registered-attesters.js";
import {
  fitAddKeysTransactions,
  readAddKeysChainState,
  type AddKeysChainState,
} from "../../core/chain/add-keys-transactions.js";
import {
  addKeysOutputWrites,
  refuseUnwritableSafeTransactionBuilderFiles,
} from "../../core/files/safe-tx-builder.js";
import { readCheckedPrivateKeyFile } from "../../core/files/key-files.js";
import { count, countProgress, plural, reportWrites, type Output } from "../output.js";
import {
  buildRegistrationTuples,
  calldataJson,
  registrationInputsOf,
} from "../../core/keys/registration.js";
import {
  refuseUnwritableOutput,
  toJsonText,
  writeFilesAtomically,
} from "../../core/files/safe-write.js";
import { resolveRegistryContext, type RegistryContext } from "../../core/chain/staking-registry.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { positiveIntegerOption } from "../options.js";
import { passwordFileOption } from "../keystore-options.js";
import { keystorePasswords } from "../../core/keys/keystore-passwords.js";
import { recordInputFiles } from "../../core/files/file-identity.js";

interface Options {
  output?: string;
  force?: boolean;
  /** Unset: as many keys per call as fit the gas a transaction may use. */
  maxKeysPerTx?: number;
  /** Also write one Safe Transaction Builder file per transaction: <prefix>-<i>-of-<n>.json. */
  safeTxBuilder?: string;
  passwordFile?: string;
}

export function addKeysCommand(run: CliRun): Command {
  return new Command("add-keys")
    .alias("get-add-keys-to-staking-provider-calldata")
    .description(commandSummary("add-keys"))
    .argument("<private-key-file>", "the file `aztec validator-keys new` wrote")
    .option("-o, --output <file>", "also write the calldata JSON (what stdout gets) to <file>")
    .option("--force", "overwrite the output file if it exists", false)
    .option(
      "--max-keys-per-tx <n>",
      "at most n keys per call (default: as many as fit 90% of min(2^24, the block gas limit), by eth_estimateGas)",
      positiveIntegerOption("--max-keys-per-tx"),
    )
    .option(
      "--safe-tx-builder <prefix>",
      "also write each transaction as a Safe{Wallet} Transaction Builder file <prefix>-<i>-of-<n>.json",
    )
    .addOption(passwordFileOption())
    .addHelpText(
      "after",
      `
For each validator: the attester address, the BLS public keys in G1 and G2, and the proof of
possession (the GSE's registration digest signed with the BLS key). Aztec's rollup and GSE are
found from the chain (the registry's ROLLUP_REGISTRY() → getCanonicalRollup() → getGSE());
AZTEC_ROLLUP_ADDRESS / AZTEC_GSE_ADDRESS override them. Refuses an attester already in the
provider's queue or known to the rollup (entry queue, or validating/exiting).

The keys are split into as few addKeysToProvider calls as fit: each call's eth_estimateGas, sent
from the provider admin, is at most 90% of min(2^24, the latest block's gas limit) (EIP-7825 caps
a transaction at 2^24 gas; the margin is for a multisig's own overhead). A reverting estimate is
refused, with the reason, before anything is printed. The provider admin (usually a multisig)
sends the calls, in order; no private key is printed.

stdout is JSON only. One transaction:
  { "contractToCall": "0x<registry>", "callData": "0x…" }
Several, to be sent in this order:
  { "transactions": [ { "contractToCall": "0x…", "callData": "0x…" }, … ] }
(jq '.transactions // [.] | .[]' lists the transactions in both cases.) The attesters, the
estimated gas of each transaction and a summary go to stderr. --output writes the same JSON to a
file, atomically; --safe-tx-builder writes one Safe Transaction Builder file per transaction.

Examples:
  $ aztec-butler add-keys new-private-keys.json > calldata.json
  $ aztec-butler add-keys new-private-keys.json -o calldata.json
  $ aztec-butler add-keys new-private-keys.json --safe-tx-builder add-keys
  $ aztec-butler add-keys encrypted-keys.json --password-file ./keystore-password.txt > calldata.json
  $ aztec-butler --network mainnet add-keys keys.json --max-keys-per-tx 50`,
    )
    .action(commandAction(run, addKeys));
}

export async function addKeys(
  file: string,
  options: Options,
  { out, config }: CommandContext,
): Promise<number> {
  // Load: every key checked (same rules and messages as process-private-keys), output target free.
  const passwords = keystorePasswords(options);
  const keyFile = await readCheckedPrivateKeyFile(file, { passwords, out });
  await refuseUnwritableAddKeysOutputs(options);
  const chain = createChainClient(config);

  // The chain context first (wrong chain, registry, provider, rollup or GSE fail before any work).
  // Every read at one block, so that no two of them see different states.
  const blockNumber = await readBlockNumber(chain);
  const registry = await resolveRegistryContext(chain, { config, blockNumber });
  const l1 = await resolveAztecL1(chain, { config, registry, blockNumber });

  // Plan: each validator's attester address and BLS public keys.
  const n = keyFile.validators.length;
  const validators = registrationInputsOf(
    keyFile.validators,
    countProgress(out, "deriving keys", n),
  );
  out.progressDone();

  // Check the chain: the provider's queue, every registration digest and what the rollup knows,
  // batched together at the pinned block; no attester may be registered already.
  const state = await readAddKeysChainState(chain, { registry, l1, validators, blockNumber });
  refuseRegisteredAttesters(state, { providerId: registry.providerId, rollup: l1.rollup, file });

  // Sign each digest, then split the calls by their estimated gas (every call simulated).
  const signing = countProgress(out, "signing registration digests", n);
  const tuples = buildRegistrationTuples(validators, state.digests, signing);
  out.progressDone();
  const { maxKeysPerTx } = options;
  const fitted = await fitAddKeysTransactions(chain, { registry, tuples, maxKeysPerTx, file });

  // Write (only now that every check passed), then report (a refusal above stays one line).
  out.info(describeAddKeysReads(state, { registry, l1, batchSize: chain.batchSize }));
  const stdoutJson = toJsonText(calldataJson(fitted.transactions));
  const { transactions } = fitted;
  const writes = addKeysOutputWrites({ ...options, stdoutJson, registry, transactions });
  await writeFilesAtomically(writes);
  out.result(stdoutJson.trimEnd());
  reportTransactions(out, file, fitted, registry);
  reportWrites(out, writes, options.output);
  return 0;
}

/**
 * The outputs add-keys writes, checked before the chain work: --output free (or --force), the
 * Safe Transaction Builder files' directory there and their names no input; the password file
 * named as an input even when no keystore needs it (never an output).
 */
async function refuseUnwritableAddKeysOutputs(options: Options): Promise<void> {
  await recordInputFiles([options.passwordFile]);
  if (options.output !== undefined) await refuseUnwritableOutput(options.output, options.force);
  if (options.safeTxBuilder !== undefined)
    await refuseUnwritableSafeTransactionBuilderFiles(options.safeTxBuilder);
}

/** The report line of the reads before signing. */
function describeAddKeysReads(
  state: AddKeysChainState,
  { registry, l1, batchSize }: { registry: RegistryContext; l1: AztecL1; batchSize: number },
): string {
  return (
    `provider ${registry.providerId}'s queue of ${count(state.queue.attesters.length)}, ` +
    `${plural(state.digests.length, "registration digest")} from GSE ${l1.gse} and the rollup ` +
    `${l1.rollup}'s entry queue and attester views read ` +
    `(${count(state.calls)} calls in batches of ${batchSize})`
  );
}

function reportTransactions(
  out: Output,
  file: string,
  { transactions, budget }: Awaited<ReturnType<typeof fitAddKeysTransactions>>,
  registry: RegistryContext,
): void {
  const keys = transactions.reduce((n, t) => n + t.attesters.length, 0);
  const several = transactions.length > 1;
  out.info(
    `${plural(keys, "validator")} from ${file} in ${plural(transactions.length, "addKeysToProvider call")} ` +
      `to registry ${registry.registry} on chain ${registry.chainId}; provider ${registry.providerId}'s admin ` +
      `${registry.providerAdmin} sends ${several ? "them, in this order" : "it"}:`,
  );
  transactions.forEach((tx, i) => {
    out.info(
      `transaction ${i + 1} of ${transactions.length}: ${plural(tx.attesters.length, "attester")}, ` +
        `estimated ${count(tx.gas)} gas`,
    );
    for (const attester of tx.attesters) out.info(`  ${attester}`);
  });
  out.info(
    `each transaction's estimate is at most ${count(budget.budget)} gas: 90% of ` +
      `min(2^24, block gas limit ${count(budget.blockGasLimit)}) = ${count(budget.perTransactionLimit)}`,
  );
}
