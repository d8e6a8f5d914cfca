import { describe, expect, it } from "vitest";
import {
  countStates,
  deriveLifecycle,
  estimateFlush,
  stateToRecord,
} from "../../src/core/plan/lifecycle.js";

const SPLIT = "0x1111111111111111111111111111111111111111";
const OTHER = "0x2222222222222222222222222222222222222222";
const ZERO = "0x0000000000000000000000000000000000000000";

describe("deriveLifecycle", () => {
  it("is NEW when the chain has never heard of the attester", () => {
    expect(deriveLifecycle({ rollupStatus: "NONE" }, {})).toEqual({
      state: "NEW",
      chainState: "NEW",
      problems: [],
    });
  });

  it("flags a NEW attester the scraper config says got further", () => {
    expect(
      deriveLifecycle({ rollupStatus: "NONE" }, { recordedState: "IN_STAKING_PROVIDER_QUEUE" })
        .problems,
    ).toEqual(["UNKNOWN_TO_CHAIN"]);
    expect(deriveLifecycle({ rollupStatus: "NONE" }, { recordedState: "NEW" }).problems).toEqual(
      [],
    );
  });

  it("is IN_STAKING_PROVIDER_QUEUE while in the provider's queue, whatever the coinbase", () => {
    const view = deriveLifecycle({ rollupStatus: "NONE", providerQueuePosition: 3 }, {});
    expect(view).toEqual({
      state: "IN_STAKING_PROVIDER_QUEUE",
      chainState: "IN_STAKING_PROVIDER_QUEUE",
      problems: [],
    });
  });

  it("is COINBASE_NEEDED in the entry queue without a coinbase (zero counts as none)", () => {
    for (const coinbase of [undefined, ZERO]) {
      expect(
        deriveLifecycle(
          { rollupStatus: "NONE", entryQueuePosition: 0, stakedCoinbase: SPLIT },
          { coinbase },
        ),
      ).toEqual({
        state: "COINBASE_NEEDED",
        chainState: "IN_STAKING_QUEUE",
        problems: ["COINBASE_MISSING"],
      });
    }
  });

  it("is IN_STAKING_QUEUE in the entry queue with its split as coinbase (any case)", () => {
    expect(
      deriveLifecycle(
        { rollupStatus: "NONE", entryQueuePosition: 5, stakedCoinbase: SPLIT },
        { coinbase: SPLIT.toUpperCase().replace("0X", "0x") },
      ),
    ).toEqual({ state: "IN_STAKING_QUEUE", chainState: "IN_STAKING_QUEUE", problems: [] });
  });

  it("is COINBASE_NEEDED when active with another coinbase than its split", () => {
    expect(
      deriveLifecycle(
        { rollupStatus: "VALIDATING", stakedCoinbase: SPLIT },
        { coinbase: OTHER },
        10n,
      ),
    ).toEqual({ state: "COINBASE_NEEDED", chainState: "ACTIVE", problems: ["COINBASE_MISMATCH"] });
  });

  it("is ACTIVE when validating with the right coinbase; a publisher without ETH is a problem", () => {
    const chain = { rollupStatus: "VALIDATING" as const, stakedCoinbase: SPLIT };
    expect(deriveLifecycle(chain, { coinbase: SPLIT }, 1n)).toEqual({
      state: "ACTIVE",
      chainState: "ACTIVE",
      problems: [],
    });
    expect(deriveLifecycle(chain, { coinbase: SPLIT }, 0n).problems).toEqual(["PUBLISHER_EMPTY"]);
  });

  it("accepts the key file's coinbase when no staking event is known (staked elsewhere)", () => {
    expect(deriveLifecycle({ rollupStatus: "VALIDATING" }, { coinbase: OTHER }, 1n).state).toBe(
      "ACTIVE",
    );
  });

  it("says why an attester is NO_LONGER_ACTIVE", () => {
    for (const status of ["ZOMBIE", "EXITING"] as const) {
      expect(deriveLifecycle({ rollupStatus: status, stakedCoinbase: SPLIT }, {})).toEqual({
        state: "NO_LONGER_ACTIVE",
        chainState: "NO_LONGER_ACTIVE",
        noLongerActive: status,
        problems: [],
      });
    }
    expect(deriveLifecycle({ rollupStatus: "NONE", stakedCoinbase: SPLIT }, {})).toEqual({
      state: "NO_LONGER_ACTIVE",
      chainState: "NO_LONGER_ACTIVE",
      noLongerActive: "EXITED",
      problems: [],
    });
  });

  it("flags an attester found in two places and reports the most advanced one", () => {
    const view = deriveLifecycle(
      { rollupStatus: "VALIDATING", providerQueuePosition: 1, stakedCoinbase: SPLIT },
      { coinbase: SPLIT },
      1n,
    );
    expect(view.state).toBe("ACTIVE");
    expect(view.problems).toEqual(["IN_TWO_PLACES"]);
    expect(
      deriveLifecycle({ rollupStatus: "NONE", providerQueuePosition: 0, entryQueuePosition: 0 }, {})
        .problems,
    ).toContain("IN_TWO_PLACES");
  });
});

describe("stateToRecord", () => {
  it("takes the chain's state, earlier ones included, but never falls back to NEW", () => {
    expect(stateToRecord(undefined, "NEW")).toBe("NEW");
    expect(stateToRecord("NEW", "IN_STAKING_PROVIDER_QUEUE")).toBe("IN_STAKING_PROVIDER_QUEUE");
    expect(stateToRecord("ACTIVE", "NEW")).toBe("ACTIVE");
    expect(stateToRecord("ACTIVE", "COINBASE_NEEDED")).toBe("COINBASE_NEEDED");
    expect(stateToRecord("IN_STAKING_QUEUE", "NO_LONGER_ACTIVE")).toBe("NO_LONGER_ACTIVE");
  });
});

describe("countStates", () => {
  it("counts every state, zero included, in lifecycle order", () => {
    expect(countStates(["ACTIVE", "NEW", "ACTIVE"])).toEqual({
      NEW: 1,
      IN_STAKING_PROVIDER_QUEUE: 0,
      COINBASE_NEEDED: 0,
      IN_STAKING_QUEUE: 0,
      ACTIVE: 2,
      NO_LONGER_ACTIVE: 0,
    });
  });
});

describe("estimateFlush", () => {
  const flush = {
    currentEpoch: 10n,
    availableFlushes: 2n,
    flushSizePerEpoch: 4n,
    epochDurationSeconds: 2304n,
    now: 1_000n,
  };
  it("is now for positions that can be flushed now", () => {
    expect(estimateFlush(0, flush)).toEqual({ epoch: 10n, timestamp: 1_000n });
    expect(estimateFlush(1, flush)).toEqual({ epoch: 10n, timestamp: 1_000n });
  });
  it("counts epochs of flushSizePerEpoch after the available ones", () => {
    expect(estimateFlush(2, flush)).toEqual({ epoch: 11n, timestamp: 1_000n + 2304n });
    expect(estimateFlush(5, flush)).toEqual({ epoch: 11n, timestamp: 1_000n + 2304n });
    expect(estimateFlush(6, flush)).toEqual({ epoch: 12n, timestamp: 1_000n + 2n * 2304n });
  });
  it("has no estimate when nothing can be flushed per epoch", () => {
    expect(estimateFlush(3, { ...flush, flushSizePerEpoch: 0n })).toBeUndefined();
  });
});
