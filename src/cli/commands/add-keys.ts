import { Command, InvalidArgumentError } from "commander";
import { createChainClient } from "../../core/chain/client.js";
import { ChainRefusalError } from "../../core/errors.js";
import { readRegistrationDigests } from "../../core/chain/gse.js";
import {
  findRollupKnownAttesters,
  refuseRollupKnownAttesters,
  resolveAztecL1,
} from "../../core/chain/rollup.js";
import {
  fitAddKeysTransactions,
  type EstimatedAddKeysTransaction,
} from "../../core/chain/add-keys-transactions.js";
import {
  safeTransactionBuilderBatches,
  safeTransactionBuilderFileNames,
} from "../../core/files/safe-tx-builder.js";
import { loadPrivateKeyFile } from "../../core/files/key-files.js";
import { consoleOutput, count, plural } from "../output.js";
import { buildKeyStores, registrationKeysOf } from "../../core/keys/registration.js";
import {
  checkOutputOption,
  toJsonText,
  writeFilesAtomically,
  type PlannedWrite,
} from "../../core/files/safe-write.js";
import {
  findQueuedAttesters,
  readProviderQueue,
  resolveRegistryContext,
  type RegistryContext,
} from "../../core/chain/staking-registry.js";
import type { Hex } from "../../types/primitives.js";
import { contextFor, type CommandContext } from "../context.js";
import { runAction } from "../run.js";

interface Options {
  output?: string;
  force?: boolean;
  /** Unset: as many keys per call as fit the gas a transaction may use. */
  maxKeysPerTx?: number;
  /** Also write one Safe Transaction Builder file per transaction: <prefix>-<i>-of-<n>.json. */
  safeTxBuilder?: string;
}

export function addKeysCommand(): Command {
  return new Command("add-keys")
    .alias("get-add-keys-to-staking-provider-calldata")
    .description(
      "print the staking registry call that adds a private-key file's validators to the provider's queue",
    )
    .argument("<private-key-file>", "the file `aztec validator-keys new` wrote")
    .option("-o, --output <file>", "also write the calldata JSON (what stdout gets) to <file>")
    .option("--force", "overwrite the output file if it exists", false)
    .option(
      "--max-keys-per-tx <n>",
      "at most n keys per call (default: as many as fit 90% of min(2^24, the block gas limit), by eth_estimateGas)",
      parsePositiveInteger,
    )
    .option(
      "--safe-tx-builder <prefix>",
      "also write each transaction as a Safe{Wallet} Transaction Builder file <prefix>-<i>-of-<n>.json",
    )
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
  $ aztec-butler --network mainnet add-keys keys.json --max-keys-per-tx 50`,
    )
    .action(
      runAction(async (file: string, options: Options, command: Command) =>
        addKeys(file, options, await contextFor(command, consoleOutput())),
      ),
    );
}

function parsePositiveInteger(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError("must be a positive whole number");
  }
  return Number(text);
}

export async function addKeys(file: string, options: Options, ctx: CommandContext): Promise<void> {
  const { out, config } = ctx;

  // Load: every key checked (same rules and messages as process-private-keys), output target free.
  const keyFile = await loadPrivateKeyFile(file);
  if (options.output !== undefined) await checkOutputOption(options.output, file, options.force);
  const chain = createChainClient(config);

  // The chain context first (wrong chain, registry, provider, rollup or GSE fail before any work).
  const registry = await resolveRegistryContext(chain, config);
  const l1 = await resolveAztecL1(chain, config, registry.registry, registry.chainId);
  const gse = { address: l1.gse, described: l1.gseDescribed };

  // Plan: each validator's attester address and BLS public keys.
  const validators = keyFile.validators.map((v, i) => {
    const keys = registrationKeysOf({ eth: v.attester.eth as Hex, bls: v.attester.bls as Hex });
    if ((i + 1) % 25 === 0)
      out.progress(`deriving keys: ${count(i + 1)}/${count(keyFile.validators.length)}`);
    return { keys, blsSecretKey: BigInt(v.attester.bls) };
  });
  out.progressDone();
  const attesters = validators.map((v) => v.keys.attester);

  // Check the chain: the provider's queue, every registration digest and what the rollup knows,
  // batched together.
  const [[queue, digests], rollupKnown] = await inOrder(
    inOrder(
      readProviderQueue(chain, registry),
      readRegistrationDigests(
        chain,
        gse,
        registry.chainId,
        validators.map((v) => v.keys.bls.g1),
      ),
    ),
    findRollupKnownAttesters(chain, l1.rollup, attesters),
  );
  out.info(
    `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)}, ` +
      `${plural(digests.length, "registration digest")} from GSE ${gse.address} and the rollup ` +
      `${l1.rollup}'s entry queue and attester views read ` +
      `(${count(queue.calls + digests.length + 1 + rollupKnown.calls)} calls in batches of ${chain.batchSize})`,
  );
  const queued = findQueuedAttesters(queue.attesters, attesters);
  if (queued.length > 0) {
    throw new ChainRefusalError(
      `${plural(queued.length, "attester")} already in provider ${registry.providerId}'s queue: ` +
        `${queued.join(", ")}; these keys were registered before`,
      { file },
    );
  }
  refuseRollupKnownAttesters(rollupKnown.known, l1.rollup, file);

  // Sign each digest, then split the calls by their estimated gas (every call simulated).
  const keyStores = buildKeyStores(validators, digests, (done) =>
    out.progress(`signing registration digests: ${count(done)}/${count(validators.length)}`),
  );
  out.progressDone();
  const fitted = await fitAddKeysTransactions(chain, registry, keyStores, {
    maxKeysPerTx: options.maxKeysPerTx,
    file,
  });
  const { transactions } = fitted;

  // Write (only now that every check passed), then report.
  const writes: PlannedWrite[] = [];
  if (options.output !== undefined) {
    writes.push({
      path: options.output,
      content: toJsonText(calldataJson(transactions)),
      overwrite: options.force,
      hint: "pass --force to replace it",
    });
  }
  const safeFiles =
    options.safeTxBuilder === undefined
      ? []
      : safeTransactionBuilderFileNames(options.safeTxBuilder, transactions.length);
  if (safeFiles.length > 0) {
    const batches = safeTransactionBuilderBatches({
      chainId: registry.chainId,
      safe: registry.providerAdmin,
      providerId: registry.providerId,
      createdAt: Date.now(),
      transactions,
    });
    safeFiles.forEach((path, i) =>
      writes.push({
        path,
        content: toJsonText(batches[i]),
        overwrite: options.force,
        hint: "pass --force to replace it",
      }),
    );
  }
  await writeFilesAtomically(writes);
  out.result(toJsonText(calldataJson(transactions)).trimEnd());
  reportTransactions(ctx, file, fitted, registry);
  if (options.output !== undefined) out.info(`wrote ${options.output}`);
  for (const path of safeFiles) out.info(`wrote ${path} (Safe Transaction Builder)`);
}

/** Awaits both; when both fail, the first one's error is the one reported. */
async function inOrder<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === "rejected") throw ra.reason;
  if (rb.status === "rejected") throw rb.reason;
  return [ra.value, rb.value];
}

/** stdout: one transaction as {contractToCall, callData}; several as {transactions: [...]}. */
export function calldataJson(
  transactions: readonly Pick<EstimatedAddKeysTransaction, "contractToCall" | "callData">[],
): unknown {
  const bare = ({
    contractToCall,
    callData,
  }: Pick<EstimatedAddKeysTransaction, "contractToCall" | "callData">) => ({
    contractToCall,
    callData,
  });
  return transactions.length === 1
    ? bare(transactions[0]!)
    : { transactions: transactions.map(bare) };
}

function reportTransactions(
  { out }: CommandContext,
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
