import {
  findRollupKnownAttesters,
  refuseRollupKnownAttesters,
  resolveAztecL1,
} from "../../core/chain/rollup.js";
import { Command } from "commander";
import { basename } from "node:path";
import { createChainClient } from "../../core/chain/client.js";
import { ChainRefusalError } from "../../core/errors.js";
import { readPrivateKeyFile, renderPublicKeyFile } from "../../core/files/key-files.js";
import {
  KeyDerivationPool,
  checkPrivateKeyValidators,
  type AttesterPrivateKeys,
} from "../../core/keys/private-keys.js";
import { checkOutputOption, writeFileAtomically } from "../../core/files/safe-write.js";
import { storeValidatorSecrets } from "../../core/keys/secret-store.js";
import {
  findQueuedAttesters,
  readProviderQueue,
  resolveRegistryContext,
} from "../../core/chain/staking-registry.js";
import type { Hex } from "../../types/primitives.js";
import { contextFor, type CommandContext } from "../context.js";
import { consoleOutput, count, plural } from "../output.js";
import { runAction } from "../run.js";

interface Options {
  output?: string;
  force?: boolean;
}

export function processPrivateKeysCommand(): Command {
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
    .addHelpText(
      "after",
      `
Examples:
  $ aztec-butler process-private-keys new-private-keys.json
  $ aztec-butler process-private-keys new-private-keys.json -o new-public-keys.json
  $ aztec-butler --network mainnet process-private-keys keys.json --force`,
    )
    .action(
      runAction(async (file: string, options: Options, command: Command) =>
        processPrivateKeys(file, options, await contextFor(command, consoleOutput())),
      ),
    );
}

export async function processPrivateKeys(
  file: string,
  options: Options,
  ctx: CommandContext,
): Promise<void> {
  const { out, config } = ctx;

  // Load: the whole file, every key checked, before anything else happens. The derivation
  // workers start loading their libraries meanwhile (they only ever see checked keys).
  const keyFile = await readPrivateKeyFile(file);
  const derivation = new KeyDerivationPool(keyFile.validators.length);
  try {
    checkPrivateKeyValidators(file, keyFile.validators);
    const outputPath = options.output ?? `public-${basename(file)}`;
    await checkOutputOption(outputPath, file, options.force);
    const chain = createChainClient(config);

    // The chain first (wrong chain, wrong registry, unreachable RPC fail fast), then derivation in
    // worker threads while the provider's queue is read.
    const registry = await resolveRegistryContext(chain, config);
    const privateKeys: AttesterPrivateKeys[] = keyFile.validators.map((v) => ({
      eth: v.attester.eth as Hex,
      bls: v.attester.bls as Hex,
    }));
    const [publicKeys, queue, l1] = await Promise.all([
      derivation.derive(privateKeys, (done) =>
        out.progress(`deriving keys: ${count(done)}/${count(privateKeys.length)}`),
      ),
      readProviderQueue(chain, registry),
      resolveAztecL1(chain, config, registry.registry, registry.chainId),
    ]);
    out.progressDone();
    out.info(`derived ${plural(publicKeys.length, "validator")} from ${file}`);

    // None of the new attesters may already be queued with the provider.
    const queued = findQueuedAttesters(
      queue.attesters,
      publicKeys.map((k) => k.eth),
    );
    out.info(
      `provider ${registry.providerId}'s queue of ${count(queue.attesters.length)} checked ` +
        `(${count(queue.calls)} calls in batches of ${chain.batchSize})`,
    );
    if (queued.length > 0) {
      throw new ChainRefusalError(
        `${plural(queued.length, "attester")} already in provider ${registry.providerId}'s queue: ` +
          `${queued.join(", ")}; these keys were registered before, generate new ones`,
        { file },
      );
    }

    // Nor known to Aztec's rollup (its entry queue, or validating/exiting).
    const rollupKnown = await findRollupKnownAttesters(
      chain,
      l1.rollup,
      publicKeys.map((k) => k.eth),
    );
    refuseRollupKnownAttesters(rollupKnown.known, l1.rollup, file);

    // Store the secrets (the specification's stand-in prints them), then write the public file.
    await storeValidatorSecrets(
      publicKeys.map((pub, index) => ({
        index,
        privateKeys: privateKeys[index]!,
        publicKeys: pub,
      })),
      out,
    );
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
