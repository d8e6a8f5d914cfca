/**
 * What every secret store shares, in a file of its own: the stores (print.ts, keystore-dir.ts,
 * gcp.ts) and the module that opens them (../secret-store.ts) import it, and not one another.
 */
import type { AttesterPrivateKeys, AttesterPublicKeys } from "../private-keys.js";
import type { KeyDerivationPool } from "../derivation-pool.js";
import type { KeystorePasswords } from "../keystore-passwords.js";
import type { ScryptParameters } from "../eth-keystore.js";
import type { ButlerConfig } from "../../config.js";
import type { Output } from "../../output.js";

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
  /**
   * Tests only (the CLI never sets it): keystore-dir's eth keystores with cheaper scrypt than
   * Aztec's n=2^17, so that a test's store costs milliseconds. Readers take any parameters.
   */
  ethKeystoreScrypt?: ScryptParameters;
}

/** A store that holds keys (not `print`). */
export type ReadableSecretStoreSpec = Exclude<SecretStoreSpec, { kind: "print" }>;
