import { InvalidArgumentError, Option } from "commander";
import {
  SECRET_STORE_FORMS,
  parseSecretStoreSpec,
  type SecretStoreSpec,
} from "../core/keys/secret-store.js";
import { KEYSTORE_PASSWORD_ENV } from "../core/keys/keystore-passwords.js";

/** `--password-file <file>`: the password of encrypted keystores (see keystorePasswords). */
export function passwordFileOption(): Option {
  return new Option(
    "--password-file <file>",
    "password of the key file's encrypted keystores that carry none (and of new keystores); " +
      `else ${KEYSTORE_PASSWORD_ENV}, else asked on a terminal`,
  );
}

/** `--secret-store <store>`: where process-private-keys puts the private keys (check-secrets: where they are). */
export function secretStoreOption(
  description = `where the new attesters' private keys go: ${SECRET_STORE_FORMS} (default: print)`,
): Option {
  return new Option("--secret-store <store>", description).argParser((text: string) => {
    try {
      return parseSecretStoreSpec(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message.replace(/^--secret-store \S+: /, ""));
    }
  });
}
export type { SecretStoreSpec };
