/**
 * `status --metrics-file`'s values: the status document as Prometheus gauges. Pure, and the only
 * place a metric's value comes from, so every number in the file is a number of `status --json`.
 */
import type { StatusDocument } from "./status-report.js";
import { attesterStates } from "../../types/scraper-config.js";

export interface MetricFamily {
  name: string;
  help: string;
  /** Labels of its own (every metric also carries `network` and `provider`). */
  labelNames: readonly string[];
  samples: { labels: Record<string, string>; value: number }[];
}

const one = (value: number) => [{ labels: {}, value }];

/** Every gauge of the metrics file, in the order written; wei as float64 (Prometheus' type). */
export function statusMetricFamilies(document: StatusDocument): MetricFamily[] {
  const publishers = new Map<string, { balanceWei: string; requiredWei: string }>();
  // Every file's publisher (high availability: each server's file has its own publishers).
  for (const row of document.attesters) {
    for (const { publisher } of row.files.length > 0 ? row.files : [row]) {
      if (publisher && !publishers.has(publisher.address))
        publishers.set(publisher.address, publisher);
    }
  }
  const perPublisher = (field: "balanceWei" | "requiredWei") =>
    [...publishers].map(([publisher, funding]) => ({
      labels: { publisher },
      value: Number(funding[field]),
    }));
  const missingCoinbase = document.attesters.filter((row) =>
    row.problems.some((p) => p === "COINBASE_MISSING" || p === "COINBASE_MISMATCH"),
  ).length;
  return [
    {
      name: "aztec_butler_attesters",
      help: "Attesters in each lifecycle state (status' counts).",
      labelNames: ["state"],
      samples: attesterStates.map((state) => ({
        labels: { state },
        value: document.counts[state],
      })),
    },
    {
      name: "aztec_butler_attesters_missing_coinbase",
      help: "Attesters whose deployed coinbase is not their reward split (missing or another address).",
      labelNames: [],
      samples: one(missingCoinbase),
    },
    {
      name: "aztec_butler_provider_queue_length",
      help: "Keys in the staking provider's queue.",
      labelNames: [],
      samples: one(document.providerQueue.length),
    },
    {
      name: "aztec_butler_provider_queue_problems",
      help: "Provider queue entries with a problem.",
      labelNames: [],
      samples: one(document.providerQueue.problems.length),
    },
    {
      name: "aztec_butler_publisher_balance_wei",
      help: "The publisher's balance at the status block, in wei.",
      labelNames: ["publisher"],
      samples: perPublisher("balanceWei"),
    },
    {
      name: "aztec_butler_publisher_required_wei",
      help: "MIN_ETH_PER_ATTESTER times the attesters the publisher serves, in wei.",
      labelNames: ["publisher"],
      samples: perPublisher("requiredWei"),
    },
    {
      name: "aztec_butler_status_problems",
      help: "Problems status reports (each needs the operator).",
      labelNames: [],
      samples: one(document.problems.length),
    },
    {
      name: "aztec_butler_status_block_number",
      help: "The L1 block status read at.",
      labelNames: [],
      samples: one(document.blockNumber),
    },
    {
      name: "aztec_butler_status_timestamp_seconds",
      help: "The timestamp of the L1 block status read at (unix seconds): how fresh this file is.",
      labelNames: [],
      samples: one(document.blockTimestamp),
    },
  ];
}
