/**
 * The provider queue's health, pure: each entry's problem and its precedence, the blocked head,
 * which entries need the GSE's check, the drip plan and its refusals; and the GSE's check itself
 * in this process (checkRegistrationTuple, @noble/curves) on sound and broken key stores.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { ChainRefusalError } from "../../src/core/errors.js";
import {
  checkRegistrationTuple,
  type RegistrationTupleCheck,
} from "../../src/core/keys/registration-tuple-check.js";
import {
  blsPublicKeysOf,
  proofOfPossession,
  type RegistrationTuple,
} from "../../src/core/keys/registration.js";
import type { RollupStatus } from "../../src/core/plan/lifecycle.js";
import {
  classifyProviderQueue,
  describeQueueIssue,
  keyCheckPositions,
  planDrip,
  queueBelowMinimum,
} from "../../src/core/plan/provider-queue-health.js";

const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const ZERO = a(0);

function facts(
  attesters: string[],
  {
    statuses = {},
    entryQueue = [],
    checks = {},
    firstIndex = 1n,
  }: {
    statuses?: Record<string, RollupStatus>;
    entryQueue?: string[];
    checks?: Record<number, RegistrationTupleCheck>;
    firstIndex?: bigint;
  } = {},
) {
  const base = {
    firstIndex,
    attesters,
    rollupStatuses: new Map(Object.entries(statuses)),
    entryQueue: new Set(entryQueue),
  };
  const positions = keyCheckPositions(base);
  const keyChecks = new Map(positions.map((p) => [p, checks[p] ?? ("SOUND" as const)]));
  return { ...base, keyChecks, positions };
}

describe("classifyProviderQueue", () => {
  it("an empty queue and a sound one have no problem and nothing blocked", () => {
    expect(classifyProviderQueue(facts([]))).toEqual({
      length: 0,
      firstIndex: 1n,
      blockedHead: 0,
      issues: [],
    });
    const sound = facts([a(1), a(2)], { firstIndex: 40n });
    expect(sound.positions).toEqual([0, 1]);
    expect(classifyProviderQueue(sound)).toMatchObject({ length: 2, blockedHead: 0, issues: [] });
  });

  it("each problem, with the registry's own indices, and the blocked head counted from it", () => {
    const queue = facts([a(1), a(2), a(3), a(4), a(5), a(4), a(6), a(7), a(8), ZERO], {
      firstIndex: 7n,
      statuses: { [a(1)]: "EXITING", [a(2)]: "VALIDATING", [a(3)]: "ZOMBIE" },
      entryQueue: [a(8)],
      checks: { 4: "INVALID_KEYS", 6: "INVALID_PROOF_OF_POSSESSION" },
    });
    // Neither the rollup-known, the later copy nor the zero attester needs the GSE's check.
    expect(queue.positions).toEqual([3, 4, 6, 7]);
    const health = classifyProviderQueue(queue);
    expect(health.blockedHead).toBe(3);
    expect(
      health.issues.map((i) => [i.index, i.position, i.attester, i.problem, i.detail]),
    ).toEqual([
      ["7", 0, getAddress(a(1)), "EXITING", "EXITING"],
      ["8", 1, getAddress(a(2)), "ALREADY_REGISTERED", "VALIDATING"],
      ["9", 2, getAddress(a(3)), "EXITING", "ZOMBIE"],
      ["11", 4, getAddress(a(5)), "INVALID_KEYS", undefined],
      ["12", 5, getAddress(a(4)), "DUPLICATE_IN_QUEUE", "10"],
      ["13", 6, getAddress(a(6)), "INVALID_PROOF_OF_POSSESSION", undefined],
      ["15", 8, getAddress(a(8)), "ALREADY_REGISTERED", "entry queue"],
      ["16", 9, ZERO, "INVALID_KEYS", "zero attester"],
    ]);
  });

  it("the rollup's word comes first: both copies of a validating attester are ALREADY_REGISTERED; copies match in any case", () => {
    const upper = a(0xabc).toUpperCase().replace("0X", "0x");
    const health = classifyProviderQueue(
      facts([a(0xabc), upper, a(1), a(1).toUpperCase().replace("0X", "0x")], {
        statuses: { [a(0xabc)]: "VALIDATING" },
      }),
    );
    expect(health.issues.map((i) => i.problem)).toEqual([
      "ALREADY_REGISTERED",
      "ALREADY_REGISTERED",
      "DUPLICATE_IN_QUEUE",
    ]);
    expect(health.blockedHead).toBe(2);
  });

  it("refuses to guess: a position that needed the GSE's check and has none is a bug", () => {
    const queue = { ...facts([a(1)]), keyChecks: new Map() };
    expect(() => classifyProviderQueue(queue)).toThrow(/no key check for queue position 0/);
  });

  it("says in words what each problem does to delegations", () => {
    const words = classifyProviderQueue(
      facts([a(1), a(2), a(2)], { statuses: { [a(1)]: "EXITING" } }),
    ).issues.map(describeQueueIssue);
    expect(words).toEqual([
      "the rollup has an exit for it (EXITING): its deposit reverts, so every stake reverts while it is at the head",
      "a second copy of the attester at index 2: once that one is staked, this one's stake fails at the flush",
    ]);
  });
});

describe("planDrip", () => {
  const health = classifyProviderQueue(
    facts([a(1), a(2), a(3), a(4)], {
      firstIndex: 5n,
      statuses: { [a(1)]: "EXITING" },
      checks: { 1: "INVALID_KEYS", 3: "INVALID_PROOF_OF_POSSESSION" },
    }),
  );
  const attesters = [a(1), a(2), a(3), a(4)];

  it("drips the blocked head by default", () => {
    const plan = planDrip(health, attesters, undefined, 2n);
    expect(plan.count).toBe(2);
    expect(plan.removed.map((k) => [k.index, k.attester, k.issue?.problem])).toEqual([
      ["5", getAddress(a(1)), "EXITING"],
      ["6", getAddress(a(2)), "INVALID_KEYS"],
    ]);
    expect(plan.healthy).toEqual([]);
  });

  it("--count past the blocked head names the healthy keys it removes", () => {
    const plan = planDrip(health, attesters, 4, 2n);
    expect(plan.healthy.map((k) => k.index)).toEqual(["7"]);
    expect(plan.removed.map((k) => k.issue?.problem ?? "healthy")).toEqual([
      "EXITING",
      "INVALID_KEYS",
      "healthy",
      "INVALID_PROOF_OF_POSSESSION",
    ]);
  });

  it("refuses: --count beyond the length (naming it), a healthy head without --count, an empty queue", () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ChainRefusalError);
        return (error as Error).message;
      }
      throw new Error("not refused");
    };
    expect(refusal(() => planDrip(health, attesters, 5, 2n))).toBe(
      "--count 5 is more than the 4 keys provider 2's queue holds",
    );
    const soundHead = classifyProviderQueue(facts([a(1), a(2)], { checks: { 1: "INVALID_KEYS" } }));
    expect(refusal(() => planDrip(soundHead, [a(1), a(2)], undefined, 3n))).toBe(
      "the queue's head is healthy: nothing to drip from provider 3's queue of 2 keys (1 entry " +
        "further back has a problem, first at index 2; a drip removes keys from the head only: " +
        "--count <n> removes the first n, healthy ones too)",
    );
    const sound = classifyProviderQueue(facts([a(1)]));
    expect(refusal(() => planDrip(sound, [a(1)], undefined, 3n))).toBe(
      "the queue's head is healthy: nothing to drip from provider 3's queue of 1 key",
    );
    expect(refusal(() => planDrip(classifyProviderQueue(facts([])), [], undefined, 3n))).toBe(
      "provider 3's queue is empty: nothing to drip",
    );
  });
});

describe("queueBelowMinimum (--min-queue)", () => {
  it("names the length and the minimum, in Aztec's words of keys", () => {
    expect(queueBelowMinimum(4, 10)).toBe("the provider queue holds 4 keys, fewer than 10");
    expect(queueBelowMinimum(1, 1_000)).toBe("the provider queue holds 1 key, fewer than 1,000");
    expect(queueBelowMinimum(10, 10)).toBeUndefined();
    expect(queueBelowMinimum(0, undefined)).toBeUndefined();
  });
});

describe("checkRegistrationTuple: the GSE's check in this process", () => {
  const sk = 0x1234567890abcdefn;
  const other = 0xfedcba0987654321n;
  // Any point of G1 serves as the digest for the maths (the GSE's is a hash to the curve).
  const digestPoint = bn254.G1.Point.BASE.multiply(987654321n).toAffine();
  const digest = { x: digestPoint.x, y: digestPoint.y };
  const keys = blsPublicKeysOf(sk);
  const sound: RegistrationTuple = {
    attester: getAddress(a(1)),
    publicKeyG1: keys.g1,
    publicKeyG2: keys.g2,
    proofOfPossession: proofOfPossession(digest, sk),
  };

  it("SOUND for keys of one secret with their proof over the digest", () => {
    expect(checkRegistrationTuple(sound, digest)).toBe("SOUND");
  });

  it("INVALID_PROOF_OF_POSSESSION: another digest's proof, another secret's, zero, off the curve", () => {
    const otherDigest = bn254.G1.Point.BASE.multiply(5n).toAffine();
    for (const proof of [
      proofOfPossession({ x: otherDigest.x, y: otherDigest.y }, sk),
      proofOfPossession(digest, other),
      { x: 0n, y: 0n },
      { x: 1n, y: 3n },
    ]) {
      expect(checkRegistrationTuple({ ...sound, proofOfPossession: proof }, digest)).toBe(
        "INVALID_PROOF_OF_POSSESSION",
      );
    }
  });

  it("INVALID_KEYS: G2 of another secret, G1 of another secret, G1 off the curve, G2 zero or off the twist", () => {
    const otherKeys = blsPublicKeysOf(other);
    for (const tuple of [
      { ...sound, publicKeyG2: otherKeys.g2 },
      { ...sound, publicKeyG1: otherKeys.g1 },
      { ...sound, publicKeyG1: { x: 1n, y: 3n } },
      { ...sound, publicKeyG2: { x0: 0n, x1: 0n, y0: 0n, y1: 0n } },
      { ...sound, publicKeyG2: { ...keys.g2, y0: keys.g2.y0 + 1n } },
      { ...sound, publicKeyG2: { x0: keys.g2.x1, x1: keys.g2.x0, y0: keys.g2.y1, y1: keys.g2.y0 } },
    ]) {
      expect(checkRegistrationTuple(tuple, digest)).toBe("INVALID_KEYS");
    }
  });
});
