import { isDeepStrictEqual } from "node:util";
import { InputError, locate, type ErrorLocation } from "../errors.js";
import type { DeployedAttester } from "./scraper-attesters.js";
import {
  assignPublishersRoundRobin,
  highAvailabilityPrefix,
  splitPublishersForHighAvailability,
  type PublisherGroup,
} from "./publishers.js";
import { isZeroHex } from "../../types/primitives.js";
import type { ProductionValidator } from "../../types/production-key-file.js";
import type { PublicKeyValidator } from "../../types/public-key-file.js";

type JsonObject = Record<string, unknown>;

/** The production key file as read: the raw JSON (for faithful output) and its checked view. */
export interface ProductionSource {
  file: string;
  raw: JsonObject & { validators: JsonObject[] };
  validators: readonly ProductionValidator[];
  /** schemaVersion 2's top-level coinbase, used by validators that set none. */
  defaultCoinbase?: string;
}

export interface NewKeysSource {
  file: string;
  validators: readonly PublicKeyValidator[];
}

/** One key file to write: its name prefix (A_, serverId_ or none), its content, its publishers. */
export interface PlannedKeyFile {
  prefix: string;
  publishers: string[];
  /** Publisher of each validator, in file order. */
  assignment: string[];
  content: JsonObject;
}

/**
 * Refuses attesters that appear twice, within or across the production file and the new key
 * files: the same eth address (any case) or the same BLS key. Lists every duplicate found.
 */
export function refuseDuplicateAttesters(
  production: ProductionSource,
  newSources: readonly NewKeysSource[],
): void {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  const visit = (file: string, index: number, kind: "eth" | "bls", value: string | undefined) => {
    if (value === undefined) return;
    const key = `${kind}:${value.toLowerCase()}`;
    const here = `${file} validator ${index}`;
    const earlier = seen.get(key);
    if (earlier !== undefined)
      duplicates.push(`attester.${kind} ${value} in ${earlier} and ${here}`);
    else seen.set(key, here);
  };
  for (const source of [production, ...newSources]) {
    source.validators.forEach((v, i) => {
      visit(source.file, i, "eth", v.attester.eth);
      visit(source.file, i, "bls", v.attester.bls);
    });
  }
  if (duplicates.length > 0) {
    throw new InputError(
      "DUPLICATE_ATTESTER",
      `duplicate attester${duplicates.length > 1 ? "s" : ""}: ${duplicates.join("; ")}; an attester may be deployed only once`,
    );
  }
}

/**
 * Refuses a coinbase of the zero address (rewards would burn), a validator's or the file-wide
 * default of schemaVersion 2; a missing coinbase is fine.
 */
export function refuseZeroCoinbases(production: ProductionSource): void {
  if (production.defaultCoinbase !== undefined && isZeroHex(production.defaultCoinbase)) {
    throw new InputError(
      "ZERO_COINBASE",
      "is the zero address; set the real coinbase or remove the field",
      {
        file: production.file,
        field: "coinbase",
      },
    );
  }
  production.validators.forEach((v, index) => {
    if (v.coinbase !== undefined && isZeroHex(v.coinbase)) {
      throw new InputError(
        "ZERO_COINBASE",
        "is the zero address; set the real coinbase or remove the field",
        {
          file: production.file,
          index,
          field: "coinbase",
        },
      );
    }
  });
}

/**
 * The output files: every file holds all validators (production first, then the new ones in
 * order), each with publishers of its own group assigned round-robin in file order.
 * - publishers given per server: one file per server, prefixed `<server>_`;
 * - `highAvailabilityCount` N: the single publisher list split into N contiguous groups,
 *   files prefixed A_, B_, …;
 * - otherwise one file, no prefix.
 */
export function planKeyFiles(
  production: ProductionSource,
  newSources: readonly NewKeysSource[],
  groups: readonly PublisherGroup[],
  highAvailabilityCount: number | undefined,
  publishersFile: string,
): PlannedKeyFile[] {
  const shares = publisherShares(groups, highAvailabilityCount, publishersFile);
  const existing = production.raw.validators;
  const added = newSources.flatMap((source) => source.validators);
  const total = existing.length + added.length;
  const signer = added.length > 0 ? remoteSignerForNewValidators(production) : undefined;
  return shares.map(({ prefix, publishers }) => {
    const assignment = assignPublishersRoundRobin(total, publishers);
    const validators = [
      ...existing.map((raw, i) => withPublisher(raw, assignment[i]!)),
      ...added.map((v, i) => ({
        attester: { eth: v.attester.eth, bls: v.attester.bls },
        publisher: assignment[existing.length + i]!,
        feeRecipient: v.feeRecipient,
        ...(signer === undefined ? {} : { remoteSigner: signer }),
      })),
    ];
    return {
      prefix,
      publishers,
      assignment,
      content: replaceKeepingOrder(production.raw, "validators", validators),
    };
  });
}

/**
 * The remoteSigner a new validator needs in its own entry: none when the file has a top-level
 * one (the specification's layout, which every validator inherits); otherwise the one every
 * production validator sets alike, so the new keys sign where the old ones do. When they set
 * different ones there is no safe choice, and the production file is refused. (When none sets
 * one, nothing signs for the existing validators either; the node check refuses that file.)
 */
function remoteSignerForNewValidators(production: ProductionSource): unknown {
  if (production.raw.remoteSigner !== undefined) return undefined;
  const signers = production.raw.validators.map((v) => v.remoteSigner);
  const [first] = signers;
  if (signers.every((s) => isDeepStrictEqual(s, first))) return first;
  throw new InputError(
    "NO_REMOTE_SIGNER",
    "is not set, and the validators set different remoteSigners, so none can be given to the new " +
      "validators (the node would find no signer for them); set a top-level remoteSigner",
    { file: production.file, field: "remoteSigner" },
  );
}

function publisherShares(
  groups: readonly PublisherGroup[],
  highAvailabilityCount: number | undefined,
  publishersFile: string,
): { prefix: string; publishers: string[] }[] {
  const perServer = groups.some((g) => g.server !== undefined);
  if (perServer) {
    if (highAvailabilityCount !== undefined && highAvailabilityCount !== groups.length) {
      throw new InputError(
        "HIGH_AVAILABILITY_MISMATCH",
        `assigns publishers to ${groups.length} servers, but --high-availability-count is ${highAvailabilityCount}; ` +
          "drop the option or make them agree",
        { file: publishersFile },
      );
    }
    return groups.map((g) => ({ prefix: `${g.server}_`, publishers: g.publishers }));
  }
  const publishers = groups[0]!.publishers;
  if (highAvailabilityCount === undefined) return [{ prefix: "", publishers }];
  if (publishers.length < highAvailabilityCount) {
    throw new InputError(
      "TOO_FEW_PUBLISHERS",
      `has ${publishers.length} publisher${publishers.length === 1 ? "" : "s"}, fewer than ` +
        `--high-availability-count ${highAvailabilityCount}: the files must not share a publisher`,
      { file: publishersFile },
    );
  }
  return splitPublishersForHighAvailability(publishers, highAvailabilityCount).map((share, i) => ({
    prefix: highAvailabilityPrefix(i),
    publishers: share,
  }));
}

/**
 * The validator with its publisher replaced in place (keeping key order and every other field);
 * a validator without one gets it right after `attester`.
 */
function withPublisher(raw: JsonObject, publisher: string): JsonObject {
  if ("publisher" in raw) return replaceKeepingOrder(raw, "publisher", publisher);
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    result[key] = value;
    if (key === "attester") result.publisher = publisher;
  }
  return result;
}

function replaceKeepingOrder<T extends JsonObject>(object: T, key: string, value: unknown): T {
  return Object.fromEntries(
    Object.entries(object).map(([k, v]) => [k, k === key ? value : v]),
  ) as T;
}

/**
 * A path in an output key file, placed in the input it came from: validators beyond the
 * production file's are the new keys, in the order of the --new-public-keys files.
 */
export function locateInInputs(
  path: readonly PropertyKey[],
  production: ProductionSource,
  newSources: readonly NewKeysSource[],
): ErrorLocation {
  if (path[0] === "validators" && typeof path[1] === "number") {
    let index = path[1] - production.validators.length;
    for (const source of index >= 0 ? newSources : []) {
      if (index < source.validators.length)
        return locate(source.file, ["validators", index, ...path.slice(2)]);
      index -= source.validators.length;
    }
  }
  return locate(production.file, path);
}

/**
 * Every validator of a planned key file as the scraper config tracks it: the production ones
 * with their coinbase, then the new ones (isNew), each with the publisher `assignment` gives it.
 */
export function deployedAttesters(
  production: ProductionSource,
  newSources: readonly NewKeysSource[],
  assignment: readonly string[],
): DeployedAttester[] {
  const existingCount = production.validators.length;
  return [
    ...production.validators.map((v, i) => ({
      address: v.attester.eth,
      coinbase: v.coinbase ?? production.defaultCoinbase,
      publisher: assignment[i]!,
      isNew: false,
    })),
    ...newSources
      .flatMap((s) => s.validators)
      .map((v, i) => ({
        address: v.attester.eth,
        // No coinbase of their own yet: schemaVersion 2's file-wide one, if any, is theirs.
        coinbase: production.defaultCoinbase,
        publisher: assignment[existingCount + i]!,
        isNew: true,
      })),
  ];
}
