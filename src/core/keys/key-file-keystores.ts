import { stat } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { privateKeyToAddress } from "viem/accounts";
import type { z } from "zod";
import {
  InputError,
  InputMissingError,
  type ErrorLocation,
  type InputErrorCode,
} from "../errors.js";
import { decryptEthKeystore, KeystoreProblem } from "./eth-keystore.js";
import type { KeystorePasswords } from "./keystore-passwords.js";
import type { KeyDerivationPool } from "./derivation-pool.js";
import {
  blsKeystoreSchema,
  ethKeystoreSchema,
  type BlsKeystore,
  type EthKeystore,
} from "../../types/keystore.js";
import type {
  KeySlot,
  KeystoreReference,
  PrivateKeyFile,
  PrivateKeyInputFile,
} from "../../types/private-key-file.js";
import type { Hex } from "../../types/primitives.js";
import { readInputFile } from "../files/json-file.js";
import { fileKind } from "../files/safe-write.js";

/** A keystore is a few hundred bytes; a path to anything larger is not one. */
export const MAX_KEYSTORE_BYTES = 1024 * 1024;

export interface KeystoreReading {
  passwords: KeystorePasswords;
  /** Decrypts the BLS keystores (pbkdf2 is synchronous: worker threads). */
  pool: KeyDerivationPool;
  /** Called as keystores are decrypted (for a progress line). */
  onProgress?: (done: number, total: number) => void;
}

/** True when any key of the file is an encrypted keystore. */
export function hasKeystoreSlots(input: PrivateKeyInputFile): boolean {
  return input.validators.some((v) =>
    [v.attester.eth, v.attester.bls, v.publisher].flat().some((slot) => typeof slot !== "string"),
  );
}

/**
 * The file with every attester key in the clear: `{path, password?}` slots are read (a relative
 * path is relative to the key file), decrypted (eth: v3 with native scrypt; bls: EIP-2335 on the
 * worker threads) and checked against the address / pubkey the keystore declares. Publisher
 * keystores are read and checked for shape only: the flow never uses their keys, so they are not
 * decrypted. Any failure names key file, validator, field and keystore, never the password.
 */
export async function decryptKeyFileKeystores(
  file: string,
  input: PrivateKeyInputFile,
  reading: KeystoreReading,
): Promise<PrivateKeyFile> {
  const base = dirname(file);
  const eth: Job<EthKeystore>[] = [];
  const bls: Job<BlsKeystore>[] = [];
  // Read and parse every keystore first: a missing or malformed one fails before any decryption.
  for (const [index, v] of input.validators.entries()) {
    if (typeof v.attester.eth !== "string") {
      eth.push(
        await readKeystore(ethKeystoreSchema, v.attester.eth, base, {
          file,
          index,
          field: "attester.eth",
        }),
      );
    }
    if (typeof v.attester.bls !== "string") {
      bls.push(
        await readKeystore(blsKeystoreSchema, v.attester.bls, base, {
          file,
          index,
          field: "attester.bls",
        }),
      );
    }
    const publishers: KeySlot[] = Array.isArray(v.publisher) ? v.publisher : [v.publisher];
    for (const [i, slot] of publishers.entries()) {
      if (typeof slot === "string") continue;
      const field = Array.isArray(v.publisher) ? `publisher[${i}]` : "publisher";
      await readKeystore(ethKeystoreSchema, slot, base, { file, index, field });
    }
  }
  for (const job of [...eth, ...bls]) {
    job.password =
      job.reference.password ??
      (await reading.passwords.forInput({ ...job.where, keystore: job.path }));
  }

  const total = eth.length + bls.length;
  let done = 0;
  const tick = () => reading.onProgress?.(++done, total);
  reading.onProgress?.(0, total);
  const [ethKeys, blsResults] = await Promise.all([
    Promise.all(
      eth.map((job) =>
        decryptEthKeystore(job.keystore, job.password!).then(
          (key) => (tick(), { key }),
          (error: unknown) => (tick(), { error: problemText(error) }),
        ),
      ),
    ),
    bls.length === 0
      ? []
      : reading.pool.decryptBlsKeystores(
          bls.map((job) => ({ keystore: job.keystore, password: job.password! })),
          () => tick(),
        ),
  ]);

  const plain = new Map<string, Hex>();
  ethKeys.forEach((result, i) => {
    const job = eth[i]!;
    if ("error" in result) throw keystoreError("KEYSTORE_UNDECRYPTABLE", job, result.error);
    const declared = job.keystore.address;
    const address = privateKeyToAddress(result.key);
    if (
      declared !== undefined &&
      address.slice(2).toLowerCase() !== declared.replace(/^0x/, "").toLowerCase()
    ) {
      throw keystoreError(
        "KEYSTORE_MISMATCH",
        job,
        `holds the key of ${address}, not of the address it declares (0x${declared.replace(/^0x/, "")})`,
      );
    }
    plain.set(slotId(job.where), result.key);
  });
  blsResults.forEach((result, i) => {
    const job = bls[i]!;
    if ("error" in result)
      throw keystoreError("KEYSTORE_UNDECRYPTABLE", job, blsProblemText(result.error));
    const declared = job.keystore.pubkey.replace(/^0x/, "").toLowerCase();
    if (result.pubkey.slice(2).toLowerCase() !== declared) {
      throw keystoreError(
        "KEYSTORE_MISMATCH",
        job,
        `holds the key of BLS public key ${result.pubkey}, not of the pubkey it declares (0x${declared})`,
      );
    }
    plain.set(slotId(job.where), result.key);
  });

  return {
    schemaVersion: input.schemaVersion,
    validators: input.validators.map((v, index) => ({
      ...v,
      attester: {
        eth:
          typeof v.attester.eth === "string"
            ? v.attester.eth
            : plain.get(slotId({ index, field: "attester.eth" }))!,
        bls:
          typeof v.attester.bls === "string"
            ? v.attester.bls
            : plain.get(slotId({ index, field: "attester.bls" }))!,
      },
    })),
  };
}

interface Job<K> {
  reference: KeystoreReference;
  /** The keystore's path as resolved (relative paths from the key file's directory). */
  path: string;
  keystore: K;
  where: ErrorLocation;
  password?: string;
}

const slotId = ({ index, field }: ErrorLocation) => `${index}:${field}`;

async function readKeystore<K>(
  schema: z.ZodType<K>,
  reference: KeystoreReference,
  base: string,
  where: ErrorLocation,
): Promise<Job<K>> {
  const path = isAbsolute(reference.path) ? reference.path : resolve(base, reference.path);
  const text = await readKeystoreText(reference.path, path, base, where);
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    // No cause: JSON.parse's message quotes the text, which may be a key file given by mistake.
    throw new InputError(
      "KEYSTORE_UNUSABLE",
      `keystore ${reference.path} is not valid JSON (corrupt?)`,
      where,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? ` (at ${issue.path.join(".")})` : "";
    throw new InputError(
      "KEYSTORE_UNUSABLE",
      `keystore ${reference.path} is not a supported keystore: ${issue.message}${at}`,
      where,
    );
  }
  return { reference, path: reference.path, keystore: parsed.data, where };
}

/**
 * A keystore file's text, bounded before it is read: a regular file of at most 1 MiB (a FIFO would
 * hang the read forever, a device never end). Missing: exit 66; anything else refused: 65.
 */
async function readKeystoreText(
  shown: string,
  path: string,
  base: string,
  where: ErrorLocation,
): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    throw new InputMissingError(
      info.code === "ENOENT" ? "NOT_FOUND" : "UNREADABLE",
      `keystore ${shown} ${info.code === "ENOENT" ? "does not exist" : `cannot be read (${info.code ?? "error"})`}` +
        (isAbsolute(shown) ? "" : ` (looked in ${base}/, the key file's directory)`),
      where,
      { cause: info },
    );
  }
  if (!info.isFile()) {
    throw new InputError(
      "KEYSTORE_UNUSABLE",
      `keystore ${shown} is ${fileKind(info)}, not a keystore file`,
      where,
    );
  }
  if (info.size > MAX_KEYSTORE_BYTES) {
    throw new InputError(
      "KEYSTORE_UNUSABLE",
      `keystore ${shown} is ${info.size} bytes, more than the 1 MiB a keystore can be; wrong file?`,
      where,
    );
  }
  try {
    return await readInputFile(path, "a keystore", MAX_KEYSTORE_BYTES);
  } catch (error) {
    // Replaced between the check and the read.
    throw new InputError(
      "KEYSTORE_UNUSABLE",
      `keystore ${shown} ${(error as InputMissingError).shortMessage ?? "cannot be read"}`,
      where,
      { cause: error },
    );
  }
}

function keystoreError(code: InputErrorCode, job: Job<unknown>, problem: string): InputError {
  return new InputError(code, `keystore ${job.path}: ${problem}`, job.where);
}

function problemText(error: unknown): string {
  if (error instanceof KeystoreProblem) return error.message;
  return `cannot be decrypted (${(error as Error).message ?? String(error)})`;
}

/** Aztec's BN254 keystore errors, in the words the eth keystores use. */
function blsProblemText(message: string): string {
  if (/checksum/i.test(message)) {
    return "wrong password, or the keystore is corrupt (its checksum does not match)";
  }
  return `cannot be decrypted (${message})`;
}
