import { findRollupKnownAttesters, resolveAztecL1 } from "../../core/chain/rollup.js";
import {
  refuseQueuedAttesters,
  refuseRollupKnownAttesters,
} from "../../core/plan/registered-attesters.js";
import { Command } from "commander";
import { basename } from "node:path";
import { createChainClient, readBlockNumber } from "../../core/chain/client.js";
import {
  checkedPrivateKeyFile,
  readPrivateKeyFile,
  renderPublicKeyFile,
} from "../../core/files/key-files.js";
import { KeyDerivationPool, type DerivedAttesters } from "../../core/keys/derivation-pool.js";
import {
  privateKeysOf,
  type AttesterPrivateKeys,
  type AttesterPublicKeys,
} from "../../core/keys/private-keys.js";
import { refuseUnwritableOutput, writeFileAtomically } from "../../core/files/safe-write.js";
import {
  openSecretStore,
  storeValidatorSecrets,
  type SecretStore,
  type SecretStoreContext,
} from "../../core/keys/secret-store.js";
import { recordInputFiles } from "../../core/files/file-identity.js";
import { keystorePasswords } from "../../core/keys/keystore-passwords.js";
import { readProviderQueue, resolveRegistryContext } from "../../core/chain/staking-registry.js";
import { timed } from "../../core/phase-timings.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { count, countProgress, plural, type Output } from "../output.js";
import {
  passwordFileOption,
  secretStoreOption,
  type SecretStoreSpec,
} from "../keystore-options.js";

interface Options {
  output?: string;
  force?: boolean;
  passwordFile?: string;
  secretStore?: SecretStoreSpec;
}

export function processPrivateKeysCommand(run: CliRun): Command {
  return new Command("process-private-keys")
    .description(commandSummary("process-private-keys"))
    .argument("<private-key-file>", "the file `aztec validator-keys new` wrote")
    .option(
      "-o, --output <file>",
      "where to write the public keys (default: public-<file> in the CWD)",
    )
    .option("--force", "overwrite the output file if it exists", false)
    .addOption(secretStoreOption())
    .addOption(passwordFileOption())
    .addHelpText(
      "after",
      `
Examples:
  $ aztec-butler process-private-keys new-private-keys.json
  $ aztec-butler process-private-keys new-private-keys.json -o new-public-keys.json
  $ aztec-butler --network mainnet process-private-keys keys.json --force
  $ aztec-butler process-private-keys new-private-keys.json --secret-store keystore-dir:./validator-keys \
      --password-file ./keystore-password.txt
  $ aztec-butler --network mainnet process-private-keys keys.json --secret-store gcp:my-gcp-project

Secret stores (--secret-store): print (default) prints every attester's private keys, the only
output that ever holds them; keystore-dir:<dir> writes encrypted keystores (eth v3 + web3signer
YAML in <dir>/eth, BLS EIP-2335 in <dir>/bls, password in <dir>/keystore-password.txt, 0600);
gcp:<project-id> writes one Secret Manager secret per key (Application Default Credentials).
Every stored key is read back and verified before the public file is written.`,
    )
    .action(commandAction(run, processPrivateKeys));
}

export async function processPrivateKeys(
  file: string,
  options: Options,
  ctx: CommandContext,
): Promise<number> {
  const { out, config } = ctx;

  // Load: the whole file, every keystore decrypted and every key checked, before anything else
  // happens. The derivation workers start loading their libraries meanwhile.
  const input = await timed("read file", () => readPrivateKeyFile(file));
  await using derivation = new KeyDerivationPool(input.validators.length);
  const passwords = keystorePasswords({ passwordFile: options.passwordFile });
  const keyFile = await timed("check file", () =>
    checkedPrivateKeyFile(file, input, { pool: derivation, passwords, out }),
  );
  const context = { config, passwords, pool: derivation };
  const { outputPath, secretStore } = await openOutputs(file, options, context);

  // While the workers derive, the chain is checked, the provider's queue read and none of the new
  // attesters may be queued there or known to the rollup.
  const privateKeys = privateKeysOf(keyFile.validators);
  const derived = startDerivation(derivation, privateKeys, out);
  const publicKeys = await newAttestersCheckedOnChain(derived, { file, config, out });

  // Store the secrets (the specification's stand-in prints them), then write the public file.
  await timed("secret store", () =>
    storeValidatorSecrets(secretsOf(privateKeys, publicKeys), out, secretStore),
  );
  const content = await timed("render", () =>
    renderPublicKeyFile(
      keyFile.validators.map((v, i) => ({
        publicKeys: publicKeys[i]!,
        feeRecipient: v.feeRecipient,
      })),
    ),
  );
  await timed("write", () =>
    writeFileAtomically({ path: outputPath, content, overwrite: options.force }),
  );
  out.result(`wrote ${outputPath} (${plural(publicKeys.length, "validator")})`);
  return 0;
}

/** The pool's derivation of the file's attester keys, eth addresses first, begun now. */
function startDerivation(
  derivation: KeyDerivationPool,
  keys: readonly AttesterPrivateKeys[],
  out: Output,
): DerivedAttesters {
  const derived = derivation.deriveAddressesFirst(
    keys,
    countProgress(out, "deriving keys", keys.length),
  );
  // A failure is the caller's to report, when it awaits the public keys.
  timed("derivation", () => derived.publicKeys).catch(() => undefined);
  return derived;
}

/**
 * The derived public keys, once the chain is read at one block: the chain and the staking
 * registry checked first (wrong chain, wrong registry or an unreachable node fail before the
 * derivation ends), the provider's queue and Aztec's rollup found. Refuses (and waits no further)
 * when a new attester is in the provider's queue already or known to the rollup, which is read
 * as soon as the attesters' addresses are derived.
 */
async function newAttestersCheckedOnChain(
  derived: DerivedAttesters,
  { file, config, out }: { file: string; config: CommandContext["config"]; out: Output },
): Promise<AttesterPublicKeys[]> {
  const chain = createChainClient(config);
  const blockNumber = await timed("chain: block number", () => readBlockNumber(chain));
  const registry = await timed("chain: registry", () =>
    resolveRegistryContext(chain, { config, blockNumber }),
  );
  const queueRead = timed("chain: provider queue", () =>
    readProviderQueue(chain, { registry, blockNumber }),
  );
  queueRead.catch(() => undefined); // awaited below, after the rollup is found
  const l1 = await timed("chain: GSE discovery", () =>
    resolveAztecL1(chain, { config, registry, blockNumber }),
  );
  const [queue, attesters] = await Promise.all([queueRead, derived.addresses]);
  refuseQueuedAttesters(queue.attesters, attesters, { providerId: registry.providerId, file });
  // Measured: reading the rollup for each part of the addresses as it is derived made the run
  // slower (2.95 s against 2.74 s at 10,000 keys): the reads only take CPU from the workers.
  const rollupKnown = await timed("chain: rollup status", () =>
    findRollupKnownAttesters(chain, { rollup: l1.rollup, attesters, blockNumber }),
  );
  refuseRollupKnownAttesters(rollupKnown.known, l1.rollup, file);

  const keys = await derived.publicKeys;
  out.progressDone();
  out.info(`derived ${plural(keys.length, "validator")} from ${file}`);
  out.info(
    `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)} checked ` +
      `(${count(queue.calls)} calls in batches of ${chain.batchSize})`,
  );
  return keys;
}

/**
 * The public file's path, checked free (or --force) in a writable directory, and the secret
 * store, opened: before any key is derived, stored or printed.
 */
async function openOutputs(
  file: string,
  options: Options,
  context: SecretStoreContext,
): Promise<{ outputPath: string; secretStore: SecretStore }> {
  // Named as an input even when no keystore needs it: never an output.
  await recordInputFiles([options.passwordFile]);
  const outputPath = options.output ?? `public-${basename(file)}`;
  await refuseUnwritableOutput(outputPath, options.force);
  const secretStore = await openSecretStore(options.secretStore ?? { kind: "print" }, context);
  await secretStore.refuseAsOutput?.(outputPath);
  return { outputPath, secretStore };
}

/** Each validator's private and public keys, for the secret store. */
function secretsOf(
  privateKeys: readonly AttesterPrivateKeys[],
  publicKeys: readonly AttesterPublicKeys[],
): { index: number; privateKeys: AttesterPrivateKeys; publicKeys: AttesterPublicKeys }[] {
  return publicKeys.map((pub, index) => ({
    index,
    privateKeys: privateKeys[index]!,
    publicKeys: pub,
  }));
}
