import { InputError } from "../errors.js";
import { isZeroHex } from "../../types/primitives.js";
import type { PublishersFile } from "../../types/publishers-file.js";

/** One output file's share of the publishers: `server` becomes the file-name prefix, if any. */
export interface PublisherGroup {
  server?: string;
  publishers: string[];
}

/**
 * Checks a parsed publishers file: no zero address, no address twice (compared
 * case-insensitively), within a list or across servers. Returns the groups in file order (one unnamed group for a plain list).
 */
export function publisherGroupsOf(file: PublishersFile, fileName: string): PublisherGroup[] {
  const groups: PublisherGroup[] = Array.isArray(file)
    ? [{ publishers: file }]
    : Object.entries(file).map(([server, publishers]) => ({ server, publishers }));
  if (groups.length === 0) throw new InputError("NO_SERVERS", "has no servers", { file: fileName });
  const seen = new Map<string, string>();
  for (const { server, publishers } of groups) {
    publishers.forEach((address, index) => {
      const where = server === undefined ? `entry ${index}` : `server ${server} entry ${index}`;
      if (isZeroHex(address)) {
        throw new InputError(
          "ZERO_PUBLISHER",
          `${where} is the zero address, which nobody can sign for; list the publishers' addresses`,
          { file: fileName },
        );
      }
      const earlier = seen.get(address.toLowerCase());
      if (earlier !== undefined) {
        throw new InputError(
          "DUPLICATE_PUBLISHER",
          `publisher ${address} appears twice (${earlier} and ${where})`,
          {
            file: fileName,
          },
        );
      }
      seen.set(address.toLowerCase(), where);
    });
  }
  return groups;
}

/**
 * Splits publishers into `count` contiguous groups for high availability, so no two files share
 * a publisher: floor(P/count) each, the last group taking the remainder
 * (10 publishers, 3 files → 1–3, 4–6, 7–10).
 */
export function splitPublishersForHighAvailability(
  publishers: readonly string[],
  count: number,
): string[][] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`invalid group count ${count}`);
  if (publishers.length < count)
    throw new RangeError(`${publishers.length} publishers cannot fill ${count} groups`);
  const size = Math.floor(publishers.length / count);
  return Array.from({ length: count }, (_, g) =>
    publishers.slice(g * size, g === count - 1 ? publishers.length : (g + 1) * size),
  );
}

/** Publisher for each of `validatorCount` validators, in order: round-robin over `publishers`. */
export function assignPublishersRoundRobin(
  validatorCount: number,
  publishers: readonly string[],
): string[] {
  if (publishers.length === 0) throw new RangeError("no publishers to assign");
  return Array.from({ length: validatorCount }, (_, i) => publishers[i % publishers.length]!);
}

/** How many attesters each publisher serves (a publisher with none still appears, with 0). */
export function publisherLoads(
  publishers: readonly string[],
  assignment: readonly string[],
): Map<string, number> {
  const loads = new Map<string, number>(publishers.map((p) => [p, 0]));
  for (const publisher of assignment) loads.set(publisher, (loads.get(publisher) ?? 0) + 1);
  return loads;
}

/** File-name prefixes for high-availability files: A_, B_, … Z_, then AA_, AB_, … (as spreadsheet columns). */
export function highAvailabilityPrefix(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`invalid file index ${index}`);
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return `${letters}_`;
}

/** One validator of a deployed key file, as far as publishing goes. */
export interface PublishingValidator {
  /** Its attester's address. */
  attester: string;
  /** Its own publisher addresses (empty: none of its own). */
  publishers: readonly string[];
}

/** Who publishes for one attester, and how (the node's own fallbacks included). */
export interface ServedAttesters {
  /** Publisher (as first written) → attesters it serves, in the order publishers first appear. */
  loads: Map<string, number>;
  /** Publishers that are an attester publishing for itself (no publisher configured). */
  attestersAsPublishers: Set<string>;
}

/**
 * Every publisher of the given key files and how many attesters each serves, summed over the
 * files, as the node resolves them (@aztec/node-keystore's createPublisherSigners): a validator's
 * own publishers, else the file's `publisher` (schemaVersion 2), else its attester. A validator
 * with several publishers counts for each: any of them may have to publish for it. Addresses are
 * merged case-insensitively; each keeps its first spelling.
 */
export function servedAttesters(
  files: readonly {
    validators: readonly PublishingValidator[];
    filePublishers: readonly string[];
  }[],
): ServedAttesters {
  const loads = new Map<string, number>();
  const spelling = new Map<string, string>();
  const attestersAsPublishers = new Set<string>();
  const serve = (address: string) => {
    const key = address.toLowerCase();
    const name = spelling.get(key) ?? address;
    spelling.set(key, name);
    loads.set(name, (loads.get(name) ?? 0) + 1);
    return name;
  };
  for (const file of files) {
    for (const validator of file.validators) {
      const own = [...new Set(validator.publishers.map((p) => p.toLowerCase()))];
      const fallback = [...new Set(file.filePublishers.map((p) => p.toLowerCase()))];
      if (own.length > 0) own.forEach((p) => serve(original(validator.publishers, p)));
      else if (fallback.length > 0)
        fallback.forEach((p) => serve(original(file.filePublishers, p)));
      else attestersAsPublishers.add(serve(validator.attester));
    }
  }
  return { loads, attestersAsPublishers };
}

/** The first of `addresses` equal to `lowercase`, as written. */
const original = (addresses: readonly string[], lowercase: string): string =>
  addresses.find((a) => a.toLowerCase() === lowercase)!;
