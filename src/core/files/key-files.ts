import { readJsonFile, parseWithSchema } from "./json-file.js";
import { InputError } from "../errors.js";
import { checkPrivateKeyValidators } from "../keys/private-keys.js";
import { privateKeyFileSchema, type PrivateKeyFile } from "../../types/private-key-file.js";
import { publicKeyFileSchema, type PublicKeyFile } from "../../types/public-key-file.js";
import { toJsonText } from "./safe-write.js";
import type { AttesterPublicKeys } from "../keys/private-keys.js";

/** Reads and fully checks a private-key file (shape, every key's format and range, duplicates). */
export async function loadPrivateKeyFile(file: string): Promise<PrivateKeyFile> {
  const parsed = await readPrivateKeyFile(file);
  checkPrivateKeyValidators(file, parsed.validators);
  return parsed;
}

/**
 * Reads a private-key file and checks its shape only: its keys still need
 * checkPrivateKeyValidators (loadPrivateKeyFile does both).
 */
export async function readPrivateKeyFile(file: string): Promise<PrivateKeyFile> {
  return parseWithSchema(privateKeyFileSchema, await readJsonFile(file), file);
}

/**
 * Reads a public-key file. A private-key file passed here by mistake is refused with a message
 * that says so: its keys must never travel into a key file bound for the node.
 */
export async function loadPublicKeyFile(file: string): Promise<PublicKeyFile> {
  const json = await readJsonFile(file);
  if (looksLikePrivateKeyFile(json)) {
    throw new InputError(
      "holds private keys (attester.eth is 32 bytes, not an address); pass the public-keys file " +
        "that process-private-keys wrote, never the private-key file",
      { file },
    );
  }
  return parseWithSchema(publicKeyFileSchema, json, file);
}

function looksLikePrivateKeyFile(json: unknown): boolean {
  const validators = (json as { validators?: unknown })?.validators;
  if (!Array.isArray(validators)) return false;
  return validators.some((v: unknown) => {
    const eth = (v as { attester?: { eth?: unknown } })?.attester?.eth;
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
  const file: PublicKeyFile = {
    schemaVersion: 1,
    validators: validators.map(({ publicKeys, feeRecipient }) => ({
      attester: { eth: publicKeys.eth, bls: publicKeys.bls },
      feeRecipient,
    })),
  };
  return toJsonText(publicKeyFileSchema.parse(file));
}
