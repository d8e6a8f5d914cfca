import type { ValidatorSecrets } from "./types.js";
import { StdoutError } from "../../errors.js";
import type { Output } from "../../output.js";
import { plural } from "../../plan/wording.js";

/**
 * `--secret-store print` (the default, the specification's stand-in for secret storage): prints
 * every private key with its public keys, so the operator can move them into their secret store
 * by hand. This is the only place a private key is printed; keystore-dir: and gcp: store them
 * instead (see secret-store.ts).
 *
 * The publisher keys `aztec validator-keys new` also generates are left out: the flow never uses
 * them (prepare-deployment assigns the funded publishers whose keys web3signer already holds).
 */
export async function printSecrets(
  secrets: readonly ValidatorSecrets[],
  out: Output,
): Promise<void> {
  out.result(
    `private and public keys of ${plural(secrets.length, "validator")} (move them into your secret store):`,
  );
  for (const { index, privateKeys, publicKeys } of secrets) {
    out.result(
      `  validator ${index}: attester.eth ${publicKeys.eth} (private ${privateKeys.eth}), ` +
        `attester.bls ${publicKeys.bls} (private ${privateKeys.bls})`,
    );
  }
  // Stored means printed in full: a closed pipe or a full disk must stop the command before the
  // public-keys file suggests the keys are safe.
  try {
    await out.flush();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StdoutError(
      "STDOUT_FAILED",
      `cannot print the private keys to standard output (${code}), which stands in for secret ` +
        "storage; nothing was written",
      {},
      { cause: error },
    );
  }
}
