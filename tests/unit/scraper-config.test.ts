import { describe, expect, it } from "vitest";
import {
  refuseForeignScraperConfig,
  scraperConfigBase,
} from "../../src/core/files/scraper-config.js";
import {
  mergeScraperAttesters,
  mergedScraperConfig,
  newScraperConfig,
} from "../../src/core/plan/scraper-attesters.js";
import {
  deployedAttesters,
  locateInInputs,
  type NewKeysSource,
  type ProductionSource,
} from "../../src/core/plan/deployment-plan.js";

const ZERO = "0x0000000000000000000000000000000000000000";
const address = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const [A1, A2, A3, A4] = [address(0xa1), address(0xa2), address(0xa3), address(0xa4)];
const [C1, C2] = [address(0xc1), address(0xc2)];
const [P1, P2] = [address(0x11), address(0x12)];

describe("mergeScraperAttesters", () => {
  it("appends new attesters: NEW from the new keys, no state for production ones", () => {
    const merged = mergeScraperAttesters(
      [],
      [
        { address: A1, coinbase: C1, publisher: P1, isNew: false },
        { address: A2, publisher: P2, isNew: true },
      ],
    );
    expect(merged).toEqual([
      { address: A1, coinbase: C1, publisher: P1 },
      { address: A2, coinbase: ZERO, publisher: P2, lastSeenState: "NEW" },
    ]);
  });

  it("keeps a listed attester's state and unknown fields, takes the deployment's non-zero values", () => {
    const merged = mergeScraperAttesters(
      [
        { address: A1, coinbase: C1, publisher: P1, lastSeenState: "ACTIVE", note: "kept" },
        { address: A3, coinbase: ZERO, publisher: ZERO, lastSeenState: "IN_STAKING_QUEUE" },
      ],
      [
        { address: A1.toUpperCase().replace("0X", "0x"), coinbase: C2, publisher: P2, isNew: true },
        { address: A3, coinbase: ZERO, publisher: P1, isNew: false },
      ],
    );
    expect(merged).toEqual([
      { address: A1, coinbase: C2, publisher: P2, lastSeenState: "ACTIVE", note: "kept" },
      { address: A3, coinbase: ZERO, publisher: P1, lastSeenState: "IN_STAKING_QUEUE" },
    ]);
  });

  it("merges duplicates of the existing list into the first, preferring non-zero values", () => {
    const merged = mergeScraperAttesters(
      [
        { address: A1, coinbase: ZERO, publisher: P1 },
        { address: A1.toLowerCase(), coinbase: C1, publisher: ZERO, lastSeenState: "ACTIVE" },
      ],
      [],
    );
    expect(merged).toEqual([{ address: A1, coinbase: C1, publisher: P1, lastSeenState: "ACTIVE" }]);
  });

  it("leaves attesters outside the deployment as they are, in their order", () => {
    const existing = [
      { address: A4, coinbase: C1, publisher: P1, lastSeenState: "NO_LONGER_ACTIVE" as const },
    ];
    const merged = mergeScraperAttesters(existing, [{ address: A2, publisher: P2, isNew: true }]);
    expect(merged[0]).toEqual(existing[0]);
    expect(merged[0]).not.toBe(existing[0]);
    expect(merged.map((a) => a.address)).toEqual([A4, A2]);
  });
});

describe("the scraper config around the merge", () => {
  const base = newScraperConfig({
    network: "testnet",
    l1ChainId: 31337,
    stakingProviderId: 7n,
    stakingProviderAdmin: A4,
  });

  it("mergedScraperConfig merges the attesters and dates the config", () => {
    const now = new Date("2026-01-02T03:04:05.000Z");
    const merged = mergedScraperConfig(base, [{ address: A1, publisher: P1, isNew: true }], now);
    expect(merged).toEqual({
      ...base,
      attesters: [{ address: A1, coinbase: ZERO, publisher: P1, lastSeenState: "NEW" }],
      lastUpdated: "2026-01-02T03:04:05.000Z",
    });
  });

  it("refuseForeignScraperConfig refuses a config of another chain or provider (exit 78), accepts its own or none", () => {
    const owner = (chainId: number, providerId?: bigint) => ({
      path: "s.json",
      chainId,
      providerId,
    });
    expect(() => refuseForeignScraperConfig(base, owner(1))).toThrow(
      expect.objectContaining({
        name: "ConfigError",
        code: "SCRAPER_CONFIG_MISMATCH",
        shortMessage: expect.stringContaining("is for chain 31337 but the node is on chain 1"),
      }),
    );
    expect(() => refuseForeignScraperConfig(base, owner(31337, 8n))).toThrow(
      expect.objectContaining({
        code: "SCRAPER_CONFIG_MISMATCH",
        shortMessage: expect.stringContaining("the configuration's provider is 8"),
      }),
    );
    expect(() =>
      refuseForeignScraperConfig(base, owner(31337, BigInt(base.stakingProviderId))),
    ).not.toThrow();
    expect(() => refuseForeignScraperConfig(base, owner(31337))).not.toThrow();
    expect(() => refuseForeignScraperConfig(undefined, owner(1))).not.toThrow();
  });

  it("scraperConfigBase: the existing config, else one for the configured provider, else none", () => {
    const registry = { providerId: 9n, providerAdmin: A3 };
    const fields = { network: "testnet", chainId: 31337 };
    expect(scraperConfigBase(base, { ...fields, registry })).toBe(base);
    expect(scraperConfigBase(base, fields)).toBe(base);
    expect(scraperConfigBase(undefined, fields)).toBe(undefined);
    const created = scraperConfigBase(undefined, { ...fields, registry });
    expect(created).toMatchObject({
      network: "testnet",
      l1ChainId: 31337,
      stakingProviderId: "9",
      stakingProviderAdmin: A3,
      attesters: [],
    });
    expect(created).not.toBe(base);
  });
});

describe("deployment plan helpers", () => {
  const production = {
    file: "prod.json",
    raw: { validators: [] },
    validators: [{ attester: { eth: A1 }, coinbase: C1 }, { attester: { eth: A2 } }],
    defaultCoinbase: C2,
  } as unknown as ProductionSource;
  const newSources = [
    { file: "a.json", validators: [{ attester: { eth: A3 } }] },
    { file: "b.json", validators: [{ attester: { eth: A4 } }] },
  ] as unknown as NewKeysSource[];

  it("deployedAttesters: production ones with their coinbase (else the file's), then the new ones", () => {
    expect(deployedAttesters(production, newSources, [P1, P2, P1, P2])).toEqual([
      { address: A1, coinbase: C1, publisher: P1, isNew: false },
      { address: A2, coinbase: C2, publisher: P2, isNew: false },
      { address: A3, coinbase: C2, publisher: P1, isNew: true },
      { address: A4, coinbase: C2, publisher: P2, isNew: true },
    ]);
  });

  it("locateInInputs places an output validator in the input it came from", () => {
    expect(locateInInputs(["validators", 1, "coinbase"], production, newSources)).toEqual({
      file: "prod.json",
      index: 1,
      field: "coinbase",
    });
    expect(locateInInputs(["validators", 3, "feeRecipient"], production, newSources)).toEqual({
      file: "b.json",
      index: 0,
      field: "feeRecipient",
    });
    expect(locateInInputs(["remoteSigner"], production, newSources)).toEqual({
      file: "prod.json",
      field: "remoteSigner",
    });
  });
});
