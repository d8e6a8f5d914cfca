import { findRollupKnownAttesters, resolveAztecL1, type AztecL1 } from "../../core/chain/rollup.js";
import {
  refuseQueuedAttesters,
  refuseRollupKnownAttesters,
} from "../../core/plan/registered-attesters.js";
import { Command } from "commander";
import { basename } from "node:path";
import type { Address } from "viem";
import { createChainClient, readBlockNumber, type ChainClient } from "../../core/chain/client.js";
import {
  checkedPrivateKeyFile,
  readPrivateKeyFile,
  renderPublicKeyFile,
} from "../../core/files/key-files.js";
import {
  KeyDerivationPool,
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
import {
  readProviderQueue,
  resolveRegistryContext,
  type ProviderQueue,
  type RegistryContext,
} from "../../core/chain/staking-registry.js";
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
    .description(
      "derive the public keys of a new private-key file, check none is queued, write public-<file>",
    )
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
  const input = await readPrivateKeyFile(file);
  const derivation = new KeyDerivationPool(input.validators.length);
  try {
    const passwords = keystorePasswords({ passwordFile: options.passwordFile });
    const keyFile = await checkedPrivateKeyFile(file, input, { pool: derivation, passwords, out });
    const context = { config, passwords, pool: derivation };
    const { outputPath, secretStore } = await openOutputs(file, options, context);
    const chain = createChainClient(config);

    // The chain first (wrong chain, wrong registry, unreachable RPC fail fast), then derivation in
    // worker threads while the provider's queue is read; every read at one block.
    const blockNumber = await readBlockNumber(chain);
    const registry = await resolveRegistryContext(chain, { config, blockNumber });
    const privateKeys = privateKeysOf(keyFile.validators);
    const [publicKeys, queue, l1] = await Promise.all([
      derivation.derive(privateKeys, countProgress(out, "deriving keys", privateKeys.length)),
      readProviderQueue(chain, { registry, blockNumber }),
      resolveAztecL1(chain, { config, registry, blockNumber }),
    ]);
    out.progressDone();
    out.info(`derived ${plural(publicKeys.length, "validator")} from ${file}`);

    // None of the new attesters may already be queued with the provider, nor known to the rollup.
    const attesters = publicKeys.map((k) => k.eth);
    await refuseKnownAttesters(chain, attesters, { file, registry, queue, l1, blockNumber, out });

    // Store the secrets (the specification's stand-in prints them), then write the public file.
    await storeValidatorSecrets(secretsOf(privateKeys, publicKeys), out, secretStore);
    const content = renderPublicKeyFile(
      keyFile.validators.map((v, i) => ({
        publicKeys: publicKeys[i]!,
        feeRecipient: v.feeRecipient,
      })),
    );
    await writeFileAtomically({ path: outputPath, content, overwrite: options.force });
    out.result(`wrote ${outputPath} (${plural(publicKeys.length, "validator")})`);
    return 0;
  } finally {
    await derivation.close();
  }
}

/**
 * Refuses attesters already in the provider's queue (read already) or known to the rollup (their
 * status read now, at the same block), saying how big the queue was.
 */
async function refuseKnownAttesters(
  chain: ChainClient,
  attesters: readonly Address[],
  at: {
    file: string;
    registry: RegistryContext;
    queue: ProviderQueue;
    l1: AztecL1;
    blockNumber: bigint;
    out: Output;
  },
): Promise<void> {
  const { file, registry, queue, l1, blockNumber, out } = at;
  out.info(
    `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)} checked ` +
      `(${count(queue.calls)} calls in batches of ${chain.batchSize})`,
  );
  refuseQueuedAttesters(queue.attesters, attesters, { providerId: registry.providerId, file });
  const rollupKnown = await findRollupKnownAttesters(chain, {
    rollup: l1.rollup,
    attesters,
    blockNumber,
  });
  refuseRollupKnownAttesters(rollupKnown.known, l1.rollup, file);
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
