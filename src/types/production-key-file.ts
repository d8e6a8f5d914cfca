import { z } from "zod";
import {
  ADDRESS_MESSAGES,
  addressProblem,
  refusalOf,
  aztecAddressSchema,
  bytes32Schema,
  ethAddressSchema,
} from "./primitives.js";

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A production validator's attester, whatever form the node's keystore gave it. */
export interface ProductionAttester {
  /** The attester's L1 address, as written. */
  eth: string;
  /** Its compressed BN254 public key, when the file gives it. */
  bls?: string;
}

type Issue = (path: PropertyKey[], message: string, refusal?: string) => void;

/** host, host:port or an IP with a port: what an operator writes when the scheme is forgotten. */
const SCHEMELESS_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:\/.*)?$/;

/**
 * Why a web3signer URL cannot be reached, or undefined when it can be. `signer:8080` passes the
 * node's loader (it is a URL, of scheme "signer:"), but no HTTP client reaches a signer at it.
 */
export function remoteSignerUrlProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a URL string";
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "") {
    return undefined;
  }
  const hint = SCHEMELESS_HOST.test(value) ? ` (did you mean "http://${value}"?)` : "";
  return `must be an http or https URL with a host, the web3signer's address${hint}`;
}

/** A remoteSigner: a URL, or `{remoteSignerUrl, …}` (certificates and the like pass through). */
const remoteSignerSchema = z.unknown().superRefine((value, ctx) => {
  const [path, url] =
    isObject(value) && "remoteSignerUrl" in value
      ? [["remoteSignerUrl"], value.remoteSignerUrl]
      : [[], value];
  const problem = remoteSignerUrlProblem(url);
  if (problem !== undefined)
    ctx.addIssue({
      code: "custom",
      path,
      message: problem,
      params: refusalOf("INVALID_REMOTE_SIGNER"),
    });
});

/**
 * The address of an eth account as a public key file may hold it: the address itself, or a
 * remote signer account `{address, remoteSignerUrl, …}`. A private key is refused by name: the
 * file is deployed, and its signing belongs to the remote signer.
 */
function publicEthAccount(value: unknown, path: PropertyKey[], issue: Issue): string | undefined {
  if (typeof value === "string") {
    const problem = addressProblem(value);
    if (problem === undefined) return value;
    if (PRIVATE_KEY.test(value)) {
      const why =
        "is a private key, not an address: the production key file holds public keys only (its remoteSigner signs)";
      issue(path, why, "PRIVATE_KEY_AS_ADDRESS");
    } else issue(path, ADDRESS_MESSAGES[problem], "INVALID_ADDRESS");
    return undefined;
  }
  if (isObject(value) && "address" in value) {
    const problem = typeof value.address === "string" ? addressProblem(value.address) : "shape";
    if (problem === undefined && "remoteSignerUrl" in value) {
      const urlProblem = remoteSignerUrlProblem(value.remoteSignerUrl);
      if (urlProblem !== undefined) {
        issue([...path, "remoteSignerUrl"], urlProblem, "INVALID_REMOTE_SIGNER");
        return undefined;
      }
    }
    if (problem === undefined) return value.address as string;
    issue([...path, "address"], ADDRESS_MESSAGES[problem], "INVALID_ADDRESS");
    return undefined;
  }
  issue(
    path,
    value === undefined
      ? "is missing"
      : "must be an address (or a remote signer account {address, remoteSignerUrl}); " +
          "encrypted key files and mnemonics hide the address this tool checks",
  );
  return undefined;
}

/**
 * The attester of a production validator: `{eth, bls?}` with eth an address (or a remote signer
 * account) and bls a compressed BN254 public key, or just the address. Several attesters in one
 * entry are refused: every check here (duplicates, publisher loads, the scraper config) counts
 * one attester per validator entry.
 */
const productionAttesterSchema = z.unknown().transform((value, ctx): ProductionAttester => {
  let problems = 0;
  const issue: Issue = (path, message, refusal) => {
    problems++;
    ctx.addIssue({
      code: "custom",
      path,
      message,
      params: refusal === undefined ? undefined : refusalOf(refusal),
    });
  };
  if (Array.isArray(value)) {
    issue(
      [],
      "lists several attesters in one validator entry; give each its own entry",
      "SEVERAL_ATTESTERS",
    );
    return z.NEVER;
  }
  const attester: ProductionAttester = { eth: "" };
  if (isObject(value) && "eth" in value) {
    attester.eth = publicEthAccount(value.eth, ["eth"], issue) ?? "";
    if (value.bls !== undefined) {
      const bls = bytes32Schema.safeParse(value.bls);
      if (bls.success) attester.bls = bls.data;
      else issue(["bls"], "must be a compressed BN254 public key: 0x followed by 64 hex digits");
    }
  } else {
    attester.eth = publicEthAccount(value, [], issue) ?? "";
  }
  return problems > 0 ? z.NEVER : attester;
});

/**
 * The publisher(s) of a production validator: addresses or remote signer accounts, alone or in a
 * list. They are replaced in the output, but a private key here still means a wrong file.
 */
const productionPublisherSchema = z.unknown().transform((value, ctx) => {
  let problems = 0;
  const issue: Issue = (path, message, refusal) => {
    problems++;
    ctx.addIssue({
      code: "custom",
      path,
      message,
      params: refusal === undefined ? undefined : refusalOf(refusal),
    });
  };
  if (Array.isArray(value)) value.forEach((item, i) => publicEthAccount(item, [i], issue));
  else publicEthAccount(value, [], issue);
  return problems > 0 ? z.NEVER : value;
});

/**
 * The production key file deployed on the node: public keys only, signing delegated to a
 * web3signer (`remoteSigner`). Only the fields this tool reasons about are checked here; every
 * other field (top-level or per validator) passes through untouched, in its original key order,
 * and the finished file is then checked against the node's own keystore schema before writing.
 */
export const productionValidatorSchema = z.looseObject({
  attester: productionAttesterSchema,
  publisher: productionPublisherSchema.optional(),
  coinbase: ethAddressSchema.optional(),
  feeRecipient: aztecAddressSchema.optional(),
  remoteSigner: remoteSignerSchema.optional(),
});

export const productionKeyFileSchema = z.looseObject({
  schemaVersion: z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" }),
  remoteSigner: remoteSignerSchema.optional(),
  validators: z.array(productionValidatorSchema, { error: "must be a list" }),
  // schemaVersion 2: defaults for validators that do not set their own.
  coinbase: ethAddressSchema.optional(),
  publisher: productionPublisherSchema.optional(),
});

export type ProductionKeyFile = z.infer<typeof productionKeyFileSchema>;
export type ProductionValidator = z.infer<typeof productionValidatorSchema>;
