import { privateKeyProblem } from "./private-keys.js";
import {
  secretProblems,
  type SecretAttester,
  type SecretProblem,
  type StoredKey,
} from "../plan/secret-check.js";
import type { Hex } from "../../types/primitives.js";
import { UsageError } from "../errors.js";
import type { Output } from "../output.js";
import { printSecrets } from "./secret-stores/print.js";
import type {
  ReadableSecretStoreSpec,
  SecretStore,
  SecretStoreContext,
  SecretStoreSpec,
  ValidatorSecrets,
} from "./secret-stores/types.js";

export type {
  ReadableSecretStoreSpec,
  SecretStore,
  SecretStoreContext,
  SecretStoreSpec,
  ValidatorSecrets,
} from "./secret-stores/types.js";

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
    throw new UsageError(
      "INVALID_SECRET_STORE",
      `--secret-store gcp:${value}: not a Google Cloud project id`,
    );
  }
  throw new UsageError(
    "INVALID_SECRET_STORE",
    `--secret-store ${text}: must be ${SECRET_STORE_FORMS}`,
  );
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

/** For messages: "keystore directory ./keys", "GCP Secret Manager (project p)". */
export function describeSecretStore(spec: ReadableSecretStoreSpec): string {
  return spec.kind === "keystore-dir"
    ? `keystore directory ${spec.dir}`
    : `GCP Secret Manager (project ${spec.project})`;
}

/**
 * check-secrets: every problem with the attesters' keys in the store. The keys are read by the
 * names the store writes (keystore-dir decrypts them), then their public keys derived on the
 * workers and compared with the key files'. Never a key in any message.
 */
export async function findSecretProblems(
  spec: ReadableSecretStoreSpec,
  attesters: readonly SecretAttester[],
  context: SecretStoreContext,
  out: Output,
): Promise<SecretProblem[]> {
  const stored =
    spec.kind === "keystore-dir"
      ? await (
          await import("./secret-stores/keystore-dir.js")
        ).readKeystoreDirKeys(spec.dir, attesters, context, out)
      : await (
          await import("./secret-stores/gcp.js")
        ).readGcpKeys(spec.project, attesters, context, out);
  // A value that is no key of its kind (zero, out of range) is the attester's no more than
  // another key is; the rest are derived together.
  const checked = stored.map((keys) => ({
    eth: usableKey(keys.eth, "eth"),
    bls: usableKey(keys.bls, "bls"),
  }));
  const PLACEHOLDER = `0x${"0".repeat(63)}1` as Hex;
  const keyOf = (key: StoredKey) => (key.state === "key" ? key.key : PLACEHOLDER);
  const publicKeys = await context.pool.derive(
    checked.map((keys) => ({ eth: keyOf(keys.eth), bls: keyOf(keys.bls) })),
  );
  const derived = checked.map((keys, i) => ({
    eth: keys.eth.state === "key" ? publicKeys[i]!.eth : undefined,
    bls: keys.bls.state === "key" ? publicKeys[i]!.bls : undefined,
  }));
  return secretProblems(attesters, checked, derived);
}

function usableKey(key: StoredKey, kind: "eth" | "bls"): StoredKey {
  if (key.state !== "key") return key;
  const problem = privateKeyProblem(key.key, kind);
  return problem === undefined
    ? key
    : { state: "unusable", where: key.where, why: `holds what ${problem}` };
}
