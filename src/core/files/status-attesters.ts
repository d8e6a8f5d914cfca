/**
 * The attesters `status` reports on, with what the operator's files say about each: from key
 * files (production `.new`/deployed files, public-key files, private-key files), else from the
 * network's scraper config.
 */
import { privateKeyToAddress } from "viem/accounts";
import type { Hex } from "viem";
import { readJsonFile, parseWithSchema } from "./json-file.js";
import { looksLikePrivateKeyFile } from "./key-files.js";
import { refuseUnusablePrivateKeys } from "../keys/private-keys.js";
import { privateKeyInputFileSchema } from "../../types/private-key-file.js";
import { InputError } from "../errors.js";
import { productionKeyFileSchema } from "../../types/production-key-file.js";
import type { AttesterState, ScraperConfig } from "../../types/scraper-config.js";

export interface StatusAttester {
  /** As written (any valid case). */
  address: string;
  /** The coinbase the file gives it (the validator's own, else schemaVersion 2's default). */
  coinbase?: string;
  /** Its (first) publisher, when the file gives one. */
  publisher?: string;
  /** The scraper config's lastSeenState, filled in by the caller when a config exists. */
  recordedState?: AttesterState;
  /** Where it came from, for messages. */
  file: string;
  index: number;
}

/** The first address of a publisher field: an address, a remote signer account, or a list of them. */
function firstPublisher(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === "string") return first;
  if (typeof first === "object" && first !== null && "address" in first) {
    const address = (first as { address: unknown }).address;
    return typeof address === "string" ? address : undefined;
  }
  return undefined;
}

/**
 * Every attester of one key file. A private-key file gives addresses only (derived from its eth
 * keys, which are checked first and never printed); the others are read with the production
 * schema, which accepts public-key files too.
 */
export async function loadStatusAttestersOfFile(file: string): Promise<StatusAttester[]> {
  const json = await readJsonFile(file);
  if (looksLikePrivateKeyFile(json)) {
    const input = parseWithSchema(privateKeyInputFileSchema, json, file);
    const encrypted = input.validators.findIndex((v) => typeof v.attester.eth !== "string");
    if (encrypted >= 0) {
      throw new InputError(
        "ENCRYPTED_KEYSTORE_GIVEN",
        "is an encrypted keystore reference; give status the public-key file process-private-keys " +
          "wrote for these keys (or the production file) instead",
        { file, index: encrypted, field: "attester.eth" },
      );
    }
    const validators = input.validators.map((v) => ({
      ...v,
      attester: { eth: v.attester.eth as string, bls: v.attester.bls as string },
    }));
    refuseUnusablePrivateKeys(file, validators);
    return validators.map((v, index) => ({
      address: privateKeyToAddress(v.attester.eth as Hex),
      file,
      index,
    }));
  }
  const parsed = parseWithSchema(productionKeyFileSchema, json, file);
  return parsed.validators.map((v, index) => ({
    address: v.attester.eth,
    coinbase: v.coinbase ?? parsed.coinbase,
    publisher: firstPublisher(v.publisher),
    file,
    index,
  }));
}

/**
 * Every validator entry of several key files, in order: an attester listed in several files
 * (high availability: every server's file lists every validator) comes once per file, so that
 * each file's coinbase and publisher are checked (buildStatusDocument gives it one row).
 */
export async function loadStatusAttesters(files: readonly string[]): Promise<StatusAttester[]> {
  const attesters: StatusAttester[] = [];
  for (const file of files) attesters.push(...(await loadStatusAttestersOfFile(file)));
  return attesters;
}

/** The scraper config's attesters, with their recorded state, coinbase and publisher. */
export function statusAttestersOfScraperConfig(
  config: ScraperConfig,
  path: string,
): StatusAttester[] {
  return config.attesters.map((a, index) => ({
    address: a.address,
    coinbase: a.coinbase,
    publisher: a.publisher,
    recordedState: a.lastSeenState,
    file: path,
    index,
  }));
}

/** Adds the scraper config's recorded states to key-file attesters (matched in any case). */
export function withRecordedStates(
  attesters: readonly StatusAttester[],
  config: ScraperConfig | undefined,
): StatusAttester[] {
  if (!config) return [...attesters];
  const recorded = new Map(config.attesters.map((a) => [a.address.toLowerCase(), a.lastSeenState]));
  return attesters.map((a) => ({ ...a, recordedState: recorded.get(a.address.toLowerCase()) }));
}
