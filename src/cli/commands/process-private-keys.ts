import {
  findRollupKnownAttesters,
  refuseRollupKnownAttesters,
  resolveAztecL1,
} from "../../core/chain/rollup.js";
import { Command } from "commander";
import { basename } from "node:path";
import { createChainClient, readBlockNumber } from "../../core/chain/client.js";
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
import { openSecretStore, storeValidatorSecrets } from "../../core/keys/secret-store.js";
import { recordInputFiles } from "../../core/files/file-identity.js";
import { keystorePasswords } from "../../core/keys/keystore-passwords.js";
import {
  refuseQueuedAttesters,
  readProviderQueue,
  resolveRegistryContext,
} from "../../core/chain/staking-registry.js";
import { contextFor, type CommandContext } from "../context.js";
import { consoleOutput, processTerminal, type Terminal, count, plural } from "../output.js";
import { runAction } from "../run.js";
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

export function processPrivateKeysCommand(terminal: Terminal = processTerminal): Command {
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
    .action(
      runAction(async (file: string, options: Options, command: Command) =>
        processPrivateKeys(file, options, await contextFor(command, consoleOutput(terminal))),
      ),
    );
}

export async function processPrivateKeys(
  file: string,
  options: Options,
  ctx: CommandContext,
): Promise<void> {
  const { out, config } = ctx;

  // Load: the whole file, every keystore decrypted and every key checked, before anything else
  // happens. The derivation workers start loading their libraries meanwhile.
  const input = await readPrivateKeyFile(file);
  const derivation = new KeyDerivationPool(input.validators.length);
  try {
    const passwords = keystorePasswords({ passwordFile: options.passwordFile });
    const keyFile = await checkedPrivateKeyFile(file, input, { pool: derivation, passwords, out });
    // Named as an input even when no keystore needs it: never an output.
    await recordInputFiles([options.passwordFile]);
    const outputPath = options.output ?? `public-${basename(file)}`;
    await refuseUnwritableOutput(outputPath, options.force);
    const secretStore = await openSecretStore(options.secretStore ?? { kind: "print" }, {
      config,
      passwords,
      pool: derivation,
    });
    await secretStore.refuseAsOutput?.(outputPath);
    const chain = createChainClient(config);

    // The chain first (wrong chain, wrong registry, unreachable RPC fail fast), then derivation in
    // worker threads while the provider's queue is read; every read at one block.
    const atBlock = await readBlockNumber(chain);
    const registry = await resolveRegistryContext(chain, config, atBlock);
    const privateKeys = privateKeysOf(keyFile.validators);
    const [publicKeys, queue, l1] = await Promise.all([
      derivation.derive(privateKeys, (done) =>
        out.progress(`deriving keys: ${count(done)}/${count(privateKeys.length)}`),
      ),
      readProviderQueue(chain, registry, atBlock),
      resolveAztecL1(chain, config, registry.registry, registry.chainId, { blockNumber: atBlock }),
    ]);
    out.progressDone();
    out.info(`derived ${plural(publicKeys.length, "validator")} from ${file}`);

    // None of the new attesters may already be queued with the provider, nor known to the rollup.
    const attesters = publicKeys.map((k) => k.eth);
    out.info(
      `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)} checked ` +
        `(${count(queue.calls)} calls in batches of ${chain.batchSize})`,
    );
    refuseQueuedAttesters(queue.attesters, attesters, { providerId: registry.providerId, file });
    const rollupKnown = await findRollupKnownAttesters(chain, l1.rollup, attesters, {
      blockNumber: atBlock,
    });
    refuseRollupKnownAttesters(rollupKnown.known, l1.rollup, file);

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
  } finally {
    await derivation.close();
  }
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
