/**
 * The pure parts of fund-publishers (who serves how many attesters, who gets how much) and of
 * `status --metrics-file` (the document as gauges), and the monitoring doc's names.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getAddress, parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { ethAmountOption } from "../../src/cli/options.js";
import { InputError, UsageError } from "../../src/core/errors.js";
import { servedAttesters } from "../../src/core/plan/publishers.js";
import {
  refuseTopUpTargetBelowMinimum,
  refuseTopUpTotalOverLimit,
  planPublisherTopUps,
  topUpTransfers,
} from "../../src/core/plan/publisher-top-ups.js";
import { statusMetricFamilies } from "../../src/core/plan/status-metrics.js";
import { buildStatusDocument } from "../../src/core/plan/status-report.js";
import { renderMetrics } from "../../src/core/files/status-metrics-file.js";
import { projectRoot } from "../support/cli.js";

const a = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;
const eth = (value: string) => parseEther(value);

describe("servedAttesters: publishers as the node resolves them, summed over files", () => {
  it("a validator's own publishers, else the file's, else its attester; merged in any case, in first-appearance order", () => {
    const served = servedAttesters([
      {
        filePublishers: [a(0xa)],
        validators: [
          { attester: a(1), publishers: [] }, // the file's: 0xa
          { attester: a(2), publishers: [a(0xb), a(0xa)] }, // both
          { attester: a(3), publishers: [a(0xb), a(0xb).toUpperCase().replace("0X", "0x")] },
        ],
      },
      { filePublishers: [], validators: [{ attester: a(4), publishers: [] }] }, // itself
      { filePublishers: [], validators: [{ attester: a(5), publishers: [a(0xa)] }] },
    ]);
    expect([...served.loads]).toEqual([
      [a(0xa), 3],
      [a(0xb), 2],
      [a(4), 1],
    ]);
    expect([...served.attestersAsPublishers]).toEqual([a(4)]);
  });
});

describe("planPublisherTopUps", () => {
  const min = eth("0.1");
  const funding = (balance: bigint, attesters = 2) => ({
    publisher: a(attesters * 1000 + Number(balance % 1000n)),
    balance,
    attesters,
    required: min * BigInt(attesters),
  });

  it("tops up below the minimum to the target; leaves at, just above and far above alone", () => {
    const plan = planPublisherTopUps(
      [
        funding(0n),
        funding(eth("0.2") - 1n),
        funding(eth("0.2")),
        funding(eth("0.2") + 1n),
        funding(eth("50")),
      ],
      eth("0.2"),
    );
    expect(plan.map((p) => p.topUp)).toEqual([eth("0.4"), eth("0.2") + 1n, 0n, 0n, 0n]);
    expect(topUpTransfers(plan)).toEqual([
      { to: getAddress(plan[0]!.publisher), value: "400000000000000000", data: "0x" },
      { to: getAddress(plan[1]!.publisher), value: "200000000000000001", data: "0x" },
    ]);
  });

  it("refuses a total above the limit naming the total and the largest; a limit met exactly passes", () => {
    const plan = planPublisherTopUps([funding(0n, 5), funding(0n, 1)], eth("1"));
    expect(() => refuseTopUpTotalOverLimit(plan, eth("6"))).not.toThrow();
    expect(() => refuseTopUpTotalOverLimit(plan, eth("5.9"))).toThrow(InputError);
    expect(() => refuseTopUpTotalOverLimit(plan, eth("5.9"))).toThrow(
      /^the top-ups total 6 ETH, above --max-total-eth 5\.9 ETH \(largest: 5 ETH to 0x0+1388, which serves 5 attesters\)/,
    );
  });

  it("refuses a target below the minimum (exit 64); equal is fine", () => {
    expect(() => refuseTopUpTargetBelowMinimum(min, min)).not.toThrow();
    expect(() => refuseTopUpTargetBelowMinimum(min - 1n, min)).toThrow(UsageError);
  });

  it("ethAmountOption: decimal ETH to wei, refusing signs, exponents, units, zero and sub-wei", () => {
    const parse = ethAmountOption("--max-total-eth");
    expect(parse("10")).toBe(eth("10"));
    expect(parse(" 0.000000000000000001 ")).toBe(1n);
    for (const bad of ["-1", "1e3", "1 ETH", "0x10", ".5", "5.", "", "0", "0.0"]) {
      expect(() => parse(bad), bad).toThrow(UsageError);
    }
    expect(() => parse("0.0000000000000000001")).toThrow(/more than 18 decimals/);
  });
});

describe("statusMetricFamilies: the status document as gauges", () => {
  const document = buildStatusDocument(
    [
      { address: a(1), publisher: a(0xa), coinbase: a(0xc1) },
      { address: a(2), publisher: a(0xa) },
      { address: a(3), publisher: a(0xb) },
      { address: a(4) },
    ],
    {
      blockNumber: 100n,
      blockTimestamp: 1_764_650_000n,
      // 7 keys, the first and the fifth with a problem.
      providerQueue: {
        length: 7,
        firstIndex: 1n,
        blockedHead: 1,
        issues: [
          { index: "1", position: 0, attester: a(9), problem: "EXITING", detail: "EXITING" },
          { index: "5", position: 4, attester: a(8), problem: "INVALID_KEYS" },
        ],
      },
      providerQueuePositions: new Map([[a(4), 0]]),
      entryQueuePositions: new Map([[a(2), 0]]),
      rollupStatuses: new Map([
        [a(1), "VALIDATING"],
        [a(2), "NONE"],
        [a(3), "VALIDATING"],
      ]),
      stakedCoinbases: new Map([
        [a(1), a(0xc9)], // mismatch
        [a(2), a(0xc2)], // missing in the file
        [a(3), a(0xc3)], // missing
      ]),
      balances: new Map([
        [a(0xa), eth("1")],
        [a(0xb), 0n],
      ]),
      flush: {
        currentEpoch: 1n,
        availableFlushes: 0n,
        flushSizePerEpoch: 16n,
        epochDurationSeconds: 384n,
        now: 1_764_650_000n,
      },
      minWeiPerAttester: eth("0.1"),
    },
  );

  it("one sample per state, publisher and fact, all from the document", () => {
    const values = Object.fromEntries(
      statusMetricFamilies(document).map((f) => [
        f.name,
        f.samples.map((s) => [Object.values(s.labels).join(","), s.value]),
      ]),
    );
    expect(values).toEqual({
      aztec_butler_attesters: [
        ["NEW", 0],
        ["IN_STAKING_PROVIDER_QUEUE", 1],
        ["COINBASE_NEEDED", 3],
        ["IN_STAKING_QUEUE", 0],
        ["ACTIVE", 0],
        ["NO_LONGER_ACTIVE", 0],
      ],
      aztec_butler_attesters_missing_coinbase: [["", 3]],
      aztec_butler_provider_queue_length: [["", 7]],
      aztec_butler_provider_queue_problems: [["", 2]],
      aztec_butler_publisher_balance_wei: [
        [document.attesters[0]!.publisher!.address, 1e18],
        [document.attesters[2]!.publisher!.address, 0],
      ],
      aztec_butler_publisher_required_wei: [
        [document.attesters[0]!.publisher!.address, 0.2e18],
        [document.attesters[2]!.publisher!.address, 0.1e18],
      ],
      aztec_butler_status_problems: [["", document.problems.length]],
      aztec_butler_status_block_number: [["", 100]],
      aztec_butler_status_timestamp_seconds: [["", 1_764_650_000]],
    });
    expect(document.problems.length).toBe(4); // 3 coinbases, 1 empty publisher of an active attester
  });

  it("high availability: every file's publishers, each with what it serves", () => {
    const ha = buildStatusDocument(
      [1, 2].flatMap((i) => [
        { address: a(i), publisher: a(0xa0 + i), file: "A_prod.json", index: i - 1 },
        { address: a(i), publisher: a(0xb0), file: "B_prod.json", index: i - 1 },
      ]),
      {
        blockNumber: 1n,
        blockTimestamp: 1n,
        providerQueue: { length: 0, firstIndex: 1n, blockedHead: 0, issues: [] },
        providerQueuePositions: new Map(),
        entryQueuePositions: new Map(),
        rollupStatuses: new Map(),
        stakedCoinbases: new Map(),
        balances: new Map([[a(0xb0), eth("0.05")]]),
        flush: {
          currentEpoch: 1n,
          availableFlushes: 0n,
          flushSizePerEpoch: 16n,
          epochDurationSeconds: 384n,
          now: 1n,
        },
        minWeiPerAttester: eth("0.1"),
      },
    );
    const family = (name: string) =>
      statusMetricFamilies(ha)
        .find((f) => f.name === name)!
        .samples.map((s) => [s.labels.publisher!.toLowerCase(), s.value]);
    expect(family("aztec_butler_publisher_balance_wei")).toEqual([
      [a(0xa1), 0],
      [a(0xb0), 0.05e18],
      [a(0xa2), 0],
    ]);
    expect(family("aztec_butler_publisher_required_wei")).toEqual([
      [a(0xa1), 0.1e18],
      [a(0xb0), 0.2e18],
      [a(0xa2), 0.1e18],
    ]);
  });

  it("renders text format 0.0.4 with HELP, TYPE and the common labels, escaping label values", async () => {
    const text = await renderMetrics(statusMetricFamilies(document), {
      network: 'net"work\\',
      provider: "7",
    });
    expect(text).toMatch(
      /^# HELP aztec_butler_status_block_number .+\n# TYPE aztec_butler_status_block_number gauge\naztec_butler_status_block_number\{network="net\\"work\\\\",provider="7"\} 100$/m,
    );
    expect(text.endsWith("\n")).toBe(true);
  });

  it("docs/monitoring.md alerts only on metrics the file has", () => {
    const doc = readFileSync(join(projectRoot, "docs", "monitoring.md"), "utf8");
    const names = new Set(statusMetricFamilies(document).map((f) => f.name));
    const used = [...new Set(doc.match(/aztec_butler_[a-z_]+/g))];
    expect(used.length).toBeGreaterThanOrEqual(5);
    expect(used.filter((name) => !names.has(name))).toEqual([]);
  });
});
