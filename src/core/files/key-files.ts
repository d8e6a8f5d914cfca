import { readJsonFile, parseWithSchema } from "./json-file.js";
import { InputError } from "../errors.js";
import { refuseUnusablePrivateKeys, privateKeysOf } from "../keys/private-keys.js";
import { KeyDerivationPool } from "../keys/derivation-pool.js";
import type { SecretAttester } from "../plan/secret-check.js";
import { getAddress } from "viem";
import { ADDRESS_SHAPE, type Hex } from "../../types/primitives.js";
import { decryptKeyFileKeystores, hasKeystoreSlots } from "../keys/key-file-keystores.js";
import { keystorePasswords, type KeystorePasswords } from "../keys/keystore-passwords.js";
import {
  privateKeyInputFileSchema,
  type PrivateKeyFile,
  type PrivateKeyInputFile,
} from "../../types/private-key-file.js";
import { publicKeyFileSchema, type PublicKeyFile } from "../../types/public-key-file.js";
import { productionKeyFileSchema } from "../../types/production-key-file.js";
import { signerAccountsOf, type SignerAccount } from "../plan/signer-accounts.js";
import { dirname } from "node:path";
import { toJsonText } from "./safe-write.js";
import type { AttesterPublicKeys } from "../keys/private-keys.js";
import type { Output } from "../output.js";
import { count } from "../plan/wording.js";

/**
 * Reads a private-key file and checks it through (checkedPrivateKeyFile), on derivation workers
 * of its own that are stopped before it returns: for a command that derives nothing afterwards.
 */
export async function readCheckedPrivateKeyFile(
  file: string,
  keystores: { passwords?: KeystorePasswords; out?: Output } = {},
): Promise<PrivateKeyFile> {
  const input = await readPrivateKeyFile(file);
  if (!hasKeystoreSlots(input)) {
    refuseUnusablePrivateKeys(file, input.validators as PrivateKeyFile["validators"]);
    return input as PrivateKeyFile;
  }
  await using pool = new KeyDerivationPool(input.validators.length);
  return await checkedPrivateKeyFile(file, input, {
    pool,
    passwords: keystores.passwords ?? keystorePasswords(),
    out: keystores.out,
  });
}

/**
 * A private-key file already read (readPrivateKeyFile) with every keystore slot decrypted on the
 * caller's derivation pool (progress on `out`) and every key checked (refuseUnusablePrivateKeys):
 * for a command that goes on deriving with the same workers.
 */
export async function checkedPrivateKeyFile(
  file: string,
  input: PrivateKeyInputFile,
  options: { pool: KeyDerivationPool; passwords: KeystorePasswords; out?: Output },
): Promise<PrivateKeyFile> {
  const keyFile = hasKeystoreSlots(input)
    ? await decryptKeyFileKeystores(file, input, {
        pool: options.pool,
        passwords: options.passwords,
        onProgress: options.out && keystoreProgress(options.out),
      })
    : (input as PrivateKeyFile);
  refuseUnusablePrivateKeys(file, keyFile.validators);
  return keyFile;
}

/**
 * Reads a private-key file and checks its shape only: any key may still be an encrypted keystore,
 * and its keys still need checking (checkedPrivateKeyFile).
 */
export async function readPrivateKeyFile(file: string): Promise<PrivateKeyInputFile> {
  return parseWithSchema(privateKeyInputFileSchema, await readJsonFile(file), file);
}

/** A progress line for keystore decryption (shown on a terminal only). */
export function keystoreProgress(out: Output): (done: number, total: number) => void {
  return (done, total) => {
    if (done < total) out.progress(`decrypting keystores: ${count(done)}/${count(total)}`);
    else out.progressDone();
  };
}

/**
 * Reads a public-key file. A private-key file passed here by mistake is refused with a message
 * that says so: its keys must never travel into a key file bound for the node.
 */
export async function loadPublicKeyFile(file: string): Promise<PublicKeyFile> {
  const json = await readJsonFile(file);
  if (looksLikePrivateKeyFile(json)) {
    throw new InputError(
      "PRIVATE_KEY_FILE_GIVEN",
      "holds private keys (attester.eth is 32 bytes, not an address); pass the public-keys file " +
        "that process-private-keys wrote, never the private-key file",
      { file },
    );
  }
  return parseWithSchema(publicKeyFileSchema, json, file);
}

/**
 * Whether a key file holds private keys: an `attester.eth` of 32 bytes (or, with `keystores`,
 * an encrypted keystore slot `{path, …}`) rather than an address.
 */
export function looksLikePrivateKeyFile(json: unknown, { keystores = false } = {}): boolean {
  const validators = (json as { validators?: unknown })?.validators;
  if (!Array.isArray(validators)) return false;
  return validators.some((v: unknown) => {
    const eth = (v as { attester?: { eth?: unknown } })?.attester?.eth;
    if (keystores && typeof eth === "object" && eth !== null && "path" in eth) return true;
    return typeof eth === "string" && /^0x[0-9a-fA-F]{64}$/.test(eth);
  });
}

/**
 * The public-key file's content, keys in the specification's order:
 * attester.eth, attester.bls, feeRecipient.
 */
export function renderPublicKeyFile(
  validators: readonly { publicKeys: AttesterPublicKeys; feeRecipient: string }[],
): string {
  // Not parsed again with publicKeyFileSchema: its EIP-55 check hashes every address (about
  // 150 ms for 10,000, after the derivation), and each part is checked already — feeRecipient
  // with the input file, the addresses checksummed by viem. What the workers returned is checked
  // for its shape, which a bug there would break.
  validators.forEach(({ publicKeys }, index) => {
    if (!ADDRESS_SHAPE.test(publicKeys.eth) || !BYTES32_SHAPE.test(publicKeys.bls)) {
      throw new Error(`derived public keys of validator ${index} are malformed`);
    }
  });
  const file: PublicKeyFile = {
    schemaVersion: 1,
    validators: validators.map(({ publicKeys, feeRecipient }) => ({
      attester: { eth: publicKeys.eth, bls: publicKeys.bls },
      feeRecipient,
    })),
  };
  return toJsonText(file);
}

const BYTES32_SHAPE = /^0x[0-9a-f]{64}$/;

/**
 * Every attester and publisher of the key files (production `.new`, high-availability or deployed
 * files), each with the remote signer the node would ask for it (see signerAccountsOf).
 */
export async function loadRemoteSignerAccounts(files: readonly string[]): Promise<SignerAccount[]> {
  const accounts: SignerAccount[] = [];
  for (const file of files) {
    const json = await readJsonFile(file);
    if (looksLikePrivateKeyFile(json)) {
      throw new InputError(
        "PRIVATE_KEY_FILE_GIVEN",
        "holds private keys (attester.eth is 32 bytes, not an address); check-signer reads the " +
          "key file the node runs, whose accounts its remote signer serves",
        { file },
      );
    }
    parseWithSchema(productionKeyFileSchema, json, file);
    accounts.push(
      ...signerAccountsOf(file, json as Parameters<typeof signerAccountsOf>[1], dirname(file)),
    );
  }
  return accounts;
}

/** Key files as read (strict JSON), with the number of validators they hold, for sizing the pool. */
export async function readKeyFiles(
  files: readonly string[],
): Promise<{ keyFiles: { file: string; json: unknown }[]; validators: number }> {
  const keyFiles = await Promise.all(
    files.map(async (file) => ({ file, json: await readJsonFile(file) })),
  );
  const validators = keyFiles.reduce((n, { json }) => {
    const list = (json as { validators?: unknown })?.validators;
    return n + (Array.isArray(list) ? list.length : 0);
  }, 0);
  return { keyFiles, validators };
}

/**
 * The attesters of the key files with both public keys, each once (high-availability files all
 * list the same validators): from a public-key or production file as written (a validator
 * without `attester.bls` is refused: there is nothing to compare its stored BLS key with), from
 * a private-key file derived on the workers (its keystores decrypted first, as everywhere).
 */
export async function loadSecretAttesters(
  keyFiles: readonly { file: string; json: unknown }[],
  { pool, passwords, out }: { pool: KeyDerivationPool; passwords: KeystorePasswords; out: Output },
): Promise<SecretAttester[]> {
  const attesters: SecretAttester[] = [];
  const seen = new Set<string>();
  const add = (attester: SecretAttester) => {
    const key = attester.address.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    attesters.push(attester);
  };
  for (const { file, json } of keyFiles) {
    if (looksLikePrivateKeyFile(json, { keystores: true })) {
      const input = parseWithSchema(privateKeyInputFileSchema, json, file);
      const keyFile = await checkedPrivateKeyFile(file, input, { pool, passwords, out });
      const publicKeys = await pool.derive(privateKeysOf(keyFile.validators));
      publicKeys.forEach((keys, index) => add({ address: keys.eth, bls: keys.bls, file, index }));
      continue;
    }
    const parsed = parseWithSchema(productionKeyFileSchema, json, file);
    parsed.validators.forEach((v, index) => {
      if (v.attester.bls === undefined) {
        throw new InputError(
          "MISSING_BLS_KEY",
          "is missing: check-secrets compares the stored BLS key with it; give the public-key file " +
            "process-private-keys wrote for this attester",
          { file, index, field: "attester.bls" },
        );
      }
      add({ address: getAddress(v.attester.eth), bls: v.attester.bls as Hex, file, index });
    });
  }
  return attesters;
}
