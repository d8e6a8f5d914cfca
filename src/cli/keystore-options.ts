import { Option } from "commander";
import { KEYSTORE_PASSWORD_ENV } from "../core/keys/keystore-passwords.js";

/** `--password-file <file>`: the password of encrypted keystores (see keystorePasswords). */
export function passwordFileOption(): Option {
  return new Option(
    "--password-file <file>",
    "password of the key file's encrypted keystores that carry none (and of new keystores); " +
      `else ${KEYSTORE_PASSWORD_ENV}, else asked on a terminal`,
  );
}
