import type { AttesterPrivateKeys, AttesterPublicKeys, KeyDerivationPool } from "./private-keys.js";
import type { KeystorePasswords } from "./keystore-passwords.js";
import type { ButlerConfig } from "../config.js";
import { UsageError } from "../errors.js";
import type { Output } from "../plan/report.js";
import { printSecrets } from "./secret-stores/print.js";

export interface ValidatorSecrets {
  index: number;
  privateKeys: AttesterPrivateKeys;
  publicKeys: AttesterPublicKeys;
}

/**
 * Where process-private-keys puts the new attesters' private keys before it writes the public
 * file. `store` either stores and verifies every secret (read back, compared or re-derived) or
 * throws, leaving the store as it was or with only complete, verified entries, so that the public
 * file is written only when every key is safe. The publisher keys `aztec validator-keys new` also
 * generates are left out: the flow never uses them.
 */
export interface SecretStore {
  /** What and where, for messages: "keystore directory ./keys". */
  readonly description: string;
  store(secrets: readonly ValidatorSecrets[], out: Output): Promise<void>;
  /**
   * Refuses (exit 64) an output of the run that would be one of the store's own files (a
   * keystore directory's keystores and password), before any work.
   */
  refuseAsOutput?(path: string): Promise<void>;
}

export type SecretStoreSpec =
  { kind: "print" } | { kind: "keystore-dir"; dir: string } | { kind: "gcp"; project: string };

export interface SecretStoreContext {
  config: ButlerConfig;
  passwords: KeystorePasswords;
  /** BLS keystores are made and checked on the derivation workers (pbkdf2 is synchronous). */
  pool: KeyDerivationPool;
}

export const SECRET_STORE_FORMS = "print, keystore-dir:<dir> or gcp:<project-id>";

/** `print`, `keystore-dir:<dir>`, `gcp:<project-id>`. */
export function parseSecretStoreSpec(text: string): SecretStoreSpec {
  if (text === "print") return { kind: "print" };
  const [kind, ...rest] = text.split(":");
  const value = rest.join(":");
  if (kind === "keystore-dir" && value !== "") return { kind, dir: value };
  // Google's rule for project ids: 6-30 lowercase letters, digits and hyphens, from a letter.
  if (kind === "gcp" && /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(value))
    return { kind, project: value };
  if (kind === "gcp") {
    throw new UsageError(`--secret-store gcp:${value}: not a Google Cloud project id`);
  }
  throw new UsageError(`--secret-store ${text}: must be ${SECRET_STORE_FORMS}`);
}

/**
 * Opens the store before any work is done: a missing password, an unusable directory or a
 * missing client library fail first. The GCP client is loaded only here, only for `gcp:`.
 */
export async function openSecretStore(
  spec: SecretStoreSpec,
  context: SecretStoreContext,
): Promise<SecretStore> {
  switch (spec.kind) {
    case "print":
      return { description: "standard output", store: printSecrets };
    case "keystore-dir": {
      const { openKeystoreDirStore } = await import("./secret-stores/keystore-dir.js");
      return openKeystoreDirStore(spec.dir, context);
    }
    case "gcp": {
      const { openGcpSecretStore } = await import("./secret-stores/gcp.js");
      return openGcpSecretStore(spec.project, context);
    }
  }
}

/** Hands the secrets to `store` (default: printed, the specification's stand-in). */
export async function storeValidatorSecrets(
  secrets: readonly ValidatorSecrets[],
  out: Output,
  store?: SecretStore,
): Promise<void> {
  await (store?.store ?? printSecrets)(secrets, out);
}
