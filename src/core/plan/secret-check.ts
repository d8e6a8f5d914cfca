/**
 * check-secrets' verdict, pure: whether each attester's two private keys are in the secret store
 * and derive to the key file's `attester.eth` and `attester.bls`. The stores read the keys
 * (keys/secret-stores/), the derivation workers derive them; this compares.
 */
import type { Hex } from "../../types/primitives.js";

export type SecretKind = "eth" | "bls";

/** What a store holds for one key. `where` names the keystore file or secret, never a value. */
export type StoredKey =
  | { state: "absent"; where: string; why: string }
  | { state: "unusable"; where: string; why: string }
  | { state: "key"; where: string; key: Hex };

export interface StoredAttesterKeys {
  eth: StoredKey;
  bls: StoredKey;
}

/** An attester to check, with the public keys its key file gives. */
export interface SecretAttester {
  /** Checksummed. */
  address: Hex;
  /** Compressed BN254 G1 public key. */
  bls: Hex;
  file: string;
  index: number;
}

export type SecretProblemReason = "MISSING" | "MISMATCH";

export interface SecretProblem {
  attester: SecretAttester;
  kind: SecretKind;
  reason: SecretProblemReason;
  /** Where and what, for people: "no secret web3signer-…", "holds the key of 0x…". */
  why: string;
}

/**
 * Every key that is not there (absent, or a version that cannot be read) or not the attester's
 * (another key, or something that is no key). `derived` holds the public keys of the stored keys
 * in the same order (undefined where nothing usable was stored).
 */
export function secretProblems(
  attesters: readonly SecretAttester[],
  stored: readonly StoredAttesterKeys[],
  derived: readonly { eth?: Hex; bls?: Hex }[],
): SecretProblem[] {
  const problems: SecretProblem[] = [];
  attesters.forEach((attester, i) => {
    for (const kind of ["eth", "bls"] as const) {
      const key = stored[i]![kind];
      const expected = kind === "eth" ? attester.address : attester.bls;
      if (key.state === "absent") {
        problems.push({ attester, kind, reason: "MISSING", why: `${key.where}: ${key.why}` });
      } else if (key.state === "unusable") {
        problems.push({ attester, kind, reason: "MISMATCH", why: `${key.where}: ${key.why}` });
      } else {
        const publicKey = derived[i]?.[kind];
        if (publicKey === undefined) throw new Error(`no public key derived for ${key.where}`);
        if (publicKey.toLowerCase() !== expected.toLowerCase()) {
          const of = kind === "eth" ? publicKey : `BLS public key ${publicKey}`;
          problems.push({
            attester,
            kind,
            reason: "MISMATCH",
            why: `${key.where}: holds the key of ${of}, not of this attester`,
          });
        }
      }
    }
  });
  return problems;
}

/** check-secrets' `--json` document (README). */
export interface SecretCheckDocument {
  ok: boolean;
  missing: { attester: string; kind: SecretKind; reason: SecretProblemReason }[];
}

export function secretCheckDocument(problems: readonly SecretProblem[]): SecretCheckDocument {
  return {
    ok: problems.length === 0,
    missing: problems.map((p) => ({
      attester: p.attester.address,
      kind: p.kind,
      reason: p.reason,
    })),
  };
}
