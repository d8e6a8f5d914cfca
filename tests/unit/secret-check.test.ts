import { describe, expect, it } from "vitest";
import {
  secretCheckDocument,
  secretProblems,
  type SecretAttester,
  type StoredKey,
} from "../../src/core/plan/secret-check.js";

const attester = (n: number): SecretAttester => ({
  address: `0x${String(n).repeat(40)}` as `0x${string}`,
  bls: `0x${String(n).repeat(64)}` as `0x${string}`,
  file: "keys.json",
  index: n,
});
const key = (where: string): StoredKey => ({ state: "key", where, key: `0x${"ab".repeat(32)}` });

describe("secretProblems", () => {
  it("absent is MISSING, unusable or another public key is MISMATCH, the attester's own is fine", () => {
    const [a, b] = [attester(1), attester(2)];
    const problems = secretProblems(
      [a, b],
      [
        { eth: key("e1"), bls: { state: "absent", where: "b1", why: "no such keystore" } },
        { eth: { state: "unusable", where: "e2", why: "is not a v3 keystore" }, bls: key("b2") },
      ],
      [{ eth: a.address.toUpperCase().replace("0X", "0x") as `0x${string}` }, { bls: a.bls }],
    );
    expect(problems.map((p) => [p.attester.index, p.kind, p.reason, p.why])).toEqual([
      [1, "bls", "MISSING", "b1: no such keystore"],
      [2, "eth", "MISMATCH", "e2: is not a v3 keystore"],
      [2, "bls", "MISMATCH", `b2: holds the key of BLS public key ${a.bls}, not of this attester`],
    ]);
    expect(secretCheckDocument(problems)).toEqual({
      ok: false,
      missing: [
        { attester: a.address, kind: "bls", reason: "MISSING" },
        { attester: b.address, kind: "eth", reason: "MISMATCH" },
        { attester: b.address, kind: "bls", reason: "MISMATCH" },
      ],
    });
    expect(secretCheckDocument([])).toEqual({ ok: true, missing: [] });
  });

  it("a stored key without its derived public key is a bug, not a pass", () => {
    expect(() => secretProblems([attester(1)], [{ eth: key("e"), bls: key("b") }], [{}])).toThrow(
      /no public key derived for e/,
    );
  });
});
