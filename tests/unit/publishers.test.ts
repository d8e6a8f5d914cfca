import { describe, expect, it } from "vitest";
import { planKeyFiles, type ProductionSource } from "../../src/core/plan/deployment-plan.js";
import {
  assignPublishersRoundRobin,
  highAvailabilityPrefix,
  publisherGroupsOf,
  publisherLoads,
  splitPublishersForHighAvailability,
} from "../../src/core/plan/publishers.js";

const address = (prefix: string, i: number) =>
  `0x${prefix}${i.toString(16).padStart(40 - prefix.length, "0")}`;
const bls = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("splitPublishersForHighAvailability", () => {
  it("splits 10 publishers into 1–3, 4–6, 7–10 (the specification's example)", () => {
    const publishers = Array.from({ length: 10 }, (_, i) => `p${i + 1}`);
    expect(splitPublishersForHighAvailability(publishers, 3)).toEqual([
      ["p1", "p2", "p3"],
      ["p4", "p5", "p6"],
      ["p7", "p8", "p9", "p10"],
    ]);
  });
  it("refuses fewer publishers than groups, and non-positive or fractional counts", () => {
    expect(() => splitPublishersForHighAvailability(["a", "b"], 3)).toThrow(RangeError);
    expect(() => splitPublishersForHighAvailability(["a"], 0)).toThrow(RangeError);
    expect(() => splitPublishersForHighAvailability(["a", "b"], 1.5)).toThrow(RangeError);
  });
});

describe("assignPublishersRoundRobin", () => {
  it("cycles through the publishers in file order", () => {
    expect(assignPublishersRoundRobin(5, ["a", "b"])).toEqual(["a", "b", "a", "b", "a"]);
  });
});

describe("publisherGroupsOf", () => {
  it("refuses the same address twice regardless of case, within a list and across servers", () => {
    const a = address("ab", 1);
    expect(() => publisherGroupsOf([a, a.toUpperCase().replace("0X", "0x")], "p.json")).toThrow(
      /appears twice \(entry 0 and entry 1\)/,
    );
    expect(() => publisherGroupsOf({ s1: [a], s2: [address("cd", 2), a] }, "p.json")).toThrow(
      /appears twice \(server s1 entry 0 and server s2 entry 1\)/,
    );
  });
});

describe("planKeyFiles, property: over random validator, publisher and HA counts", () => {
  it("every file holds all validators exactly once, no publisher is in two files, loads differ by at most 1", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const existingCount = Math.floor(next() * 30);
      const newCount = 1 + Math.floor(next() * 40);
      const publisherCount = 1 + Math.floor(next() * 25);
      const ha = next() < 0.25 ? undefined : 1 + Math.floor(next() * publisherCount);
      const existing = Array.from({ length: existingCount }, (_, i) => ({
        attester: { eth: address("e", i), bls: bls(1_000 + i) },
        publisher: address("f", 0),
        coinbase: address("c", i + 1),
        feeRecipient: bls(0),
      }));
      const production: ProductionSource = {
        file: "prod.json",
        raw: { schemaVersion: 1, remoteSigner: "https://signer:9000", validators: existing },
        validators: existing,
      };
      const added = Array.from({ length: newCount }, (_, i) => ({
        attester: { eth: address("a", i), bls: bls(5_000 + i) },
        feeRecipient: bls(0),
      }));
      const publishers = Array.from({ length: publisherCount }, (_, i) => address("b", i));
      const files = planKeyFiles(
        production,
        [{ file: "new.json", validators: added }],
        [{ publishers }],
        ha,
        "p.json",
      );
      const context = `seed ${seed}: ${existingCount}+${newCount} validators, ${publisherCount} publishers, ha ${ha}`;

      expect(files.length, context).toBe(ha ?? 1);
      const expectedAttesters = [...existing, ...added].map((v) => v.attester.eth);
      const owner = new Map<string, number>();
      files.forEach((file, f) => {
        const validators = file.content.validators as {
          attester: { eth: string };
          publisher: string;
        }[];
        expect(
          validators.map((v) => v.attester.eth),
          context,
        ).toEqual(expectedAttesters);
        expect(
          validators.map((v) => v.publisher),
          context,
        ).toEqual(file.assignment);
        for (const p of file.publishers) {
          expect(owner.has(p), `${context}: publisher in two files`).toBe(false);
          owner.set(p, f);
        }
        for (const p of file.assignment) expect(file.publishers, context).toContain(p);
        const loads = [...publisherLoads(file.publishers, file.assignment).values()];
        expect(Math.max(...loads) - Math.min(...loads), context).toBeLessThanOrEqual(1);
      });
      // Every publisher is used by some file (none silently dropped).
      expect(owner.size, context).toBe(publisherCount);
    }
  });
});

describe("highAvailabilityPrefix", () => {
  it("names files A_ … Z_, then AA_, AB_ … as spreadsheet columns, so any count gets distinct names", () => {
    const cases: [number, string][] = [
      [0, "A_"],
      [1, "B_"],
      [25, "Z_"],
      [26, "AA_"],
      [27, "AB_"],
      [51, "AZ_"],
      [52, "BA_"],
      [701, "ZZ_"],
      [702, "AAA_"],
    ];
    for (const [index, prefix] of cases)
      expect(highAvailabilityPrefix(index), String(index)).toBe(prefix);
    const names = new Set(Array.from({ length: 2_000 }, (_, i) => highAvailabilityPrefix(i)));
    expect(names.size).toBe(2_000);
    expect(() => highAvailabilityPrefix(-1)).toThrow(RangeError);
  });
});
