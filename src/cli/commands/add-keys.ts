import { Command } from "commander";
import { createChainClient } from "../../core/chain/client.js";
import { configuredGseSource, readRegistrationDigests, resolveGse } from "../../core/chain/gse.js";
import { loadPrivateKeyFile } from "../../core/files/key-files.js";
import { consoleOutput, processTerminal, type Terminal, count, plural } from "../output.js";
import {
  GAS_PER_KEY_STORE,
  TYPICAL_BLOCK_GAS_LIMIT,
  buildKeyStores,
  calldataJson,
  encodeAddKeysTransactions,
  largestTransactionGas,
  registrationInputsOf,
  type AddKeysTransaction,
} from "../../core/keys/registration.js";
import { checkOutputOption, toJsonText, writeFileAtomically } from "../../core/files/safe-write.js";
import {
  assertNoneQueued,
  readProviderQueue,
  resolveRegistryContext,
  type RegistryContext,
} from "../../core/chain/staking-registry.js";
import { contextFor, type CommandContext } from "../context.js";
import { positiveIntegerOption } from "../options.js";
import { runAction } from "../run.js";

interface Options {
  output?: string;
  force?: boolean;
  /** Unset: every key in one call, the specification's output. */
  maxKeysPerTx?: number;
}

export function addKeysCommand(terminal: Terminal = processTerminal): Command {
  return new Command("add-keys")
    .description(
      "print the staking registry call that adds a private-key file's validators to the provider's queue",
    )
    .argument("<private-key-file>", "the file `aztec validator-keys new` wrote")
    .option("-o, --output <file>", "also write the calldata JSON (what stdout gets) to <file>")
    .option("--force", "overwrite the output file if it exists", false)
    .option(
      "--max-keys-per-tx <n>",
      `split into calls of at most n keys (each key costs about ${GAS_PER_KEY_STORE / 1000}k gas; ` +
        "default: one call, with a warning when it needs more gas than a block allows)",
      positiveIntegerOption("--max-keys-per-tx"),
    )
    .addHelpText(
      "after",
      `
For each validator: the attester address, the BLS public keys in G1 and G2, and the proof of
possession (the GSE's registration digest signed with the BLS key). The GSE is AZTEC_GSE_ADDRESS,
else the getGSE() of AZTEC_ROLLUP_ADDRESS. Refuses if any attester is already in the provider's
queue. The provider admin (usually a multisig) sends the call; no private key is printed.

stdout is JSON only. One transaction (the default):
  { "contractToCall": "0x<registry>", "callData": "0x…" }
With --max-keys-per-tx and more keys than that, several transactions, to be sent in this order:
  { "transactions": [ { "contractToCall": "0x…", "callData": "0x…" }, … ] }
(jq '.transactions // [.] | .[]' lists the transactions in both cases.) The attesters and a
summary go to stderr. --output writes the same JSON to a file, atomically.

Examples:
  $ aztec-butler add-keys new-private-keys.json > calldata.json
  $ aztec-butler add-keys new-private-keys.json -o calldata.json
  $ AZTEC_ROLLUP_ADDRESS=0x… aztec-butler --network mainnet add-keys keys.json --max-keys-per-tx 50`,
    )
    .action(
      runAction(async (file: string, options: Options, command: Command) =>
        addKeys(file, options, await contextFor(command, consoleOutput(terminal))),
      ),
    );
}

export async function addKeys(file: string, options: Options, ctx: CommandContext): Promise<void> {
  const { out, config } = ctx;

  // Load: every key checked (same rules and messages as process-private-keys), output target free.
  const keyFile = await loadPrivateKeyFile(file);
  if (options.output !== undefined) await checkOutputOption(options.output, file, options.force);
  const gseSource = configuredGseSource(config);
  const chain = createChainClient(config);

  // The chain context first (wrong chain, registry, provider or GSE fail before any work).
  const registry = await resolveRegistryContext(chain, config);
  const gse = await resolveGse(chain, gseSource, registry.chainId);

  // Plan: each validator's attester address and BLS public keys.
  const validators = registrationInputsOf(keyFile.validators, (done) =>
    out.progress(`deriving keys: ${count(done)}/${count(keyFile.validators.length)}`),
  );
  out.progressDone();
  const attesters = validators.map((v) => v.keys.attester);

  // Check the chain: the provider's queue and every registration digest, batched together.
  const [queue, digests] = await inOrder(
    readProviderQueue(chain, registry),
    readRegistrationDigests(
      chain,
      gse,
      registry.chainId,
      validators.map((v) => v.keys.bls.g1),
    ),
  );
  out.info(
    `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)} and ` +
      `${plural(digests.length, "registration digest")} from GSE ${gse.address} read ` +
      `(${count(queue.calls + digests.length + 1)} calls in batches of ${chain.batchSize})`,
  );
  assertNoneQueued(queue.attesters, attesters, { providerId: registry.providerId, file });

  // Sign each digest, then encode the calls.
  const keyStores = buildKeyStores(validators, digests, (done) =>
    out.progress(`signing registration digests: ${count(done)}/${count(validators.length)}`),
  );
  out.progressDone();
  const transactions = encodeAddKeysTransactions(
    registry.registry,
    registry.providerId,
    keyStores,
    options.maxKeysPerTx ?? Math.max(1, keyStores.length),
  );

  // Write (only now that every check passed), then report.
  if (options.output !== undefined) {
    await writeFileAtomically({
      path: options.output,
      content: toJsonText(calldataJson(transactions)),
      overwrite: options.force,
    });
  }
  out.result(toJsonText(calldataJson(transactions)).trimEnd());
  reportTransactions(ctx, file, transactions, registry);
  if (options.output !== undefined) out.info(`wrote ${options.output}`);
}

/** Awaits both; when both fail, the first one's error is the one reported. */
async function inOrder<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === "rejected") throw ra.reason;
  if (rb.status === "rejected") throw rb.reason;
  return [ra.value, rb.value];
}

function reportTransactions(
  { out }: CommandContext,
  file: string,
  transactions: readonly AddKeysTransaction[],
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
    if (several)
      out.info(
        `transaction ${i + 1} of ${transactions.length}: ${plural(tx.attesters.length, "attester")}`,
      );
    for (const attester of tx.attesters) out.info(`  ${attester}`);
  });
  const largest = largestTransactionGas(transactions);
  if (largest.exceedsBlockLimit) {
    out.warn(
      `a transaction of ${plural(largest.keys, "key")} needs about ${count(largest.gas)} gas, more than ` +
        `a ${count(TYPICAL_BLOCK_GAS_LIMIT)} block gas limit allows; split it with --max-keys-per-tx (e.g. 100)`,
    );
  }
}
