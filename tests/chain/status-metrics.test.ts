/**
 * `status --metrics-file` on the production-parity chain: the file parsed with a Prometheus
 * text-format parser, every number compared with `status --json` of the same run; a failed run
 * leaves the previous file byte-identical. One chain; in-process runs and one spawned run.
 */
import { readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { getAddress, parseEther, type Address } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  generatedValidatorKeys,
  stakeWithProvider,
  validRegistrationTuples,
  type StakedKey,
} from "../support/aztec-l1.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  getFreePort,
  makeDummyRegistrationTuples,
  setBalances,
} from "../support/test-chain.js";
import { projectRoot, runCli, runInProcess, type CliResult } from "../support/cli.js";
import { tempDir } from "../support/files.js";
import { expectRefusal, recordDirs } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const FEE_RECIPIENT = `0x${"0".repeat(64)}`;
const PUBLISHERS = [ANVIL_ACCOUNTS[6]!, ANVIL_ACCOUNTS[7]!];
const STATES = [
  "NEW",
  "IN_STAKING_PROVIDER_QUEUE",
  "COINBASE_NEEDED",
  "IN_STAKING_QUEUE",
  "ACTIVE",
  "NO_LONGER_ACTIVE",
];
const METRICS = [
  "aztec_butler_attesters",
  "aztec_butler_attesters_missing_coinbase",
  "aztec_butler_provider_queue_length",
  "aztec_butler_provider_queue_problems",
  "aztec_butler_publisher_balance_wei",
  "aztec_butler_publisher_required_wei",
  "aztec_butler_status_problems",
  "aztec_butler_status_block_number",
  "aztec_butler_status_timestamp_seconds",
];

let net: RegistryChain;
let dir: string;
let dataHome: string;
let fromBlock: bigint;
/** Validators 0..3 go into the provider queue (with 2 other keys after them); 0..2 are staked. */
const keys = generatedValidatorKeys(5, "status-metrics-test");
const attesters = keys.map((k) => privateKeyToAddress(k.eth));
let staked: StakedKey[] = [];

interface Doc {
  blockNumber: number;
  blockTimestamp: number;
  attesters: {
    state: string;
    problems: string[];
    publisher: { address: string; balanceWei: string; requiredWei: string } | null;
    files: { publisher: { address: string; balanceWei: string; requiredWei: string } | null }[];
  }[];
  counts: Record<string, number>;
  providerQueue: { length: number; problems: unknown[] };
  problems: unknown[];
}

const status = (args: string[], env: Record<string, string> = {}) =>
  runInProcess(["status", "prod.json", ...args, "--from-block", String(fromBlock)], {
    cwd: dir,
    env: { ...net.env, XDG_DATA_HOME: dataHome, MIN_ETH_PER_ATTESTER: "0.1", ...env },
  });

/** The production key file: validators 0..4, publishers alternating, coinbases as given. */
function writeProductionFile(coinbases: Record<number, string> = {}): void {
  const content = {
    schemaVersion: 1,
    remoteSigner: "http://web3signer.example:9000",
    validators: attesters.map((attester, i) => ({
      attester,
      publisher: PUBLISHERS[i % 2],
      ...(coinbases[i] ? { coinbase: coinbases[i] } : {}),
      feeRecipient: FEE_RECIPIENT,
    })),
  };
  writeFileSync(join(dir, "prod.json"), `${JSON.stringify(content, null, 2)}\n`);
}

const labelsOf = (extra: Record<string, string> = {}) => ({
  network: "testnet",
  provider: String(net.providerId),
  ...extra,
});

/** Every sample of the file as "name{labels}" → value, after checking each family's header. */
function samplesOf(text: string): Map<string, number> {
  const families: ParsedFamily[] = parsePrometheusTextFormat(text);
  expect(families.map((f) => f.name)).toEqual(METRICS);
  for (const name of METRICS) {
    expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.*\\n# TYPE ${name} gauge$`, "m"));
  }
  const samples = new Map<string, number>();
  for (const family of families) {
    expect(family.type).toBe("GAUGE");
    for (const metric of family.metrics) {
      const { network, provider, ...own } = metric.labels ?? {};
      expect({ network, provider }).toEqual(labelsOf());
      const key = `${family.name}${JSON.stringify(own)}`;
      expect(samples.has(key), key).toBe(false);
      samples.set(key, Number(metric.value));
    }
  }
  return samples;
}

/** What the metrics must say, computed from the JSON document of the same run. */
function expectedSamples(doc: Doc): Map<string, number> {
  const expected = new Map<string, number>();
  const put = (name: string, value: number, labels: Record<string, string> = {}) =>
    expected.set(`${name}${JSON.stringify(labels)}`, value);
  for (const state of STATES) put("aztec_butler_attesters", doc.counts[state]!, { state });
  put(
    "aztec_butler_attesters_missing_coinbase",
    doc.attesters.filter((a) =>
      a.problems.some((p) => p === "COINBASE_MISSING" || p === "COINBASE_MISMATCH"),
    ).length,
  );
  put("aztec_butler_provider_queue_length", doc.providerQueue.length);
  put("aztec_butler_provider_queue_problems", doc.providerQueue.problems.length);
  for (const { publisher } of doc.attesters.flatMap((row) => row.files)) {
    if (!publisher) continue;
    const labels = { publisher: publisher.address };
    put("aztec_butler_publisher_balance_wei", Number(publisher.balanceWei), labels);
    put("aztec_butler_publisher_required_wei", Number(publisher.requiredWei), labels);
  }
  put("aztec_butler_status_problems", doc.problems.length);
  put("aztec_butler_status_block_number", doc.blockNumber);
  put("aztec_butler_status_timestamp_seconds", doc.blockTimestamp);
  return expected;
}

function jsonOf(run: CliResult): Doc {
  return JSON.parse(run.stdout) as Doc;
}

const metricsText = () => readFileSync(join(dir, "metrics.prom"), "utf8");

beforeAll(async () => {
  net = await startRegistryChain();
  fromBlock = await net.chain.publicClient.getBlockNumber();
  dir = tempDir("butler-metrics-");
  dataHome = tempDir("butler-metrics-data-");
  await setBalances(net.chain, [
    { address: PUBLISHERS[0]!, wei: parseEther("0.25") }, // serves 3: below its 0.3 ETH
    { address: PUBLISHERS[1]!, wei: parseEther("1") },
  ]);
  writeProductionFile();
});
afterAll(async () => {
  await net?.stop();
});

describe("status --metrics-file", () => {
  it("writes every gauge when everything is consistent (exit 0): all attesters NEW", async () => {
    const run = await status(["--json", "--metrics-file", "metrics.prom"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = jsonOf(run);
    expect(doc.counts.NEW).toBe(5);
    expect(samplesOf(metricsText())).toEqual(expectedSamples(doc));
    expect(run.stderr).toMatch(/^wrote metrics\.prom \(Prometheus metrics\)$/m);
  });

  it("matches status --json of the same run in every number, with attesters queued, staked and missing coinbases (exit 3)", async () => {
    const registered = await validRegistrationTuples(net.chain, keys.slice(0, 4));
    await addKeysToProviderQueue(net.chain, net.registry, net.providerId, [
      ...registered,
      ...makeDummyRegistrationTuples(2, 1000),
    ]);
    staked = await stakeWithProvider(net.chain, { providerId: net.providerId, count: 3 });
    expect(staked.map((s) => s.attester)).toEqual(attesters.slice(0, 3));
    // 0: no coinbase; 1: its split; 2: another address.
    writeProductionFile({ 1: staked[1]!.coinbaseSplit, 2: ANVIL_ACCOUNTS[8]! });

    const run = await status(["--json", "--metrics-file", "metrics.prom"]);
    expect(run.code, run.stderr).toBe(3);
    const doc = jsonOf(run);
    // The document itself, against what was done on chain.
    expect(doc.attesters.map((a) => a.state)).toEqual([
      "COINBASE_NEEDED",
      "IN_STAKING_QUEUE",
      "COINBASE_NEEDED",
      "IN_STAKING_PROVIDER_QUEUE",
      "NEW",
    ]);
    expect(doc.providerQueue.length).toBe(3);
    const block = await net.chain.publicClient.getBlock({ blockNumber: BigInt(doc.blockNumber) });
    expect(doc.blockTimestamp).toBe(Number(block.timestamp));

    const samples = samplesOf(metricsText());
    expect(samples).toEqual(expectedSamples(doc));
    // Spelled out, so that the comparison cannot pass on two empty maps.
    expect(samples.get('aztec_butler_attesters{"state":"COINBASE_NEEDED"}')).toBe(2);
    expect(samples.get("aztec_butler_attesters_missing_coinbase{}")).toBe(2);
    expect(samples.get("aztec_butler_provider_queue_length{}")).toBe(3);
    expect(samples.get("aztec_butler_status_problems{}")).toBe(2);
    const publisher = (name: string, address: Address) =>
      samples.get(`${name}${JSON.stringify({ publisher: getAddress(address) })}`);
    expect(publisher("aztec_butler_publisher_balance_wei", PUBLISHERS[0]!)).toBe(0.25e18);
    expect(publisher("aztec_butler_publisher_required_wei", PUBLISHERS[0]!)).toBe(0.3e18);
    expect(publisher("aztec_butler_publisher_balance_wei", PUBLISHERS[1]!)).toBe(1e18);
    // Only the file itself in the directory: no temp file left.
    expect(readdirSync(dir).sort()).toEqual(["metrics.prom", "prod.json"]);
  });

  it("a run that fails (69, 78) leaves the previous file byte-identical", async () => {
    const unchanged = recordDirs(dir);
    const before = metricsText();
    const closedPort = await getFreePort();
    const unreachable = await status(["--metrics-file", "metrics.prom"], {
      ETHEREUM_NODE_URL: `http://127.0.0.1:${closedPort}`,
      RPC_RETRIES: "0",
    });
    expectRefusal(unreachable, {
      code: 69,
      thrown: { name: "RpcUnavailableError", code: "UNREACHABLE" },
      unchanged,
    });
    const wrongChain = await status(["--metrics-file", "metrics.prom"], {
      ETHEREUM_CHAIN_ID: "1",
    });
    expectRefusal(wrongChain, {
      code: 78,
      thrown: { name: "ConfigError", code: "WRONG_CHAIN" },
      naming: ["ETHEREUM_CHAIN_ID"],
      unchanged,
    });
    expect(metricsText()).toBe(before);
  });

  it("refuses a metrics file that is a symlink or one of the inputs, before reading the chain", async () => {
    writeFileSync(join(dir, "elsewhere.prom"), "kept\n");
    symlinkSync(join(dir, "elsewhere.prom"), join(dir, "link.prom"));
    const unchanged = recordDirs(dir);
    expectRefusal(await status(["--metrics-file", "link.prom"]), {
      code: 73,
      thrown: { name: "OutputError", code: "SYMBOLIC_LINK", file: "link.prom" },
      unchanged,
    });
    expectRefusal(await status(["--metrics-file", "./prod.json"]), {
      code: 64,
      thrown: { name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "./prod.json" },
      unchanged,
    });
  });

  it("the bin writes it too, loading prom-client from node_modules only for it (spawned)", async () => {
    // The CLI's bundle and its chunks (esbuild splits them by command).
    const dist = join(projectRoot, "dist");
    const bundle = readdirSync(dist)
      .filter((name) => name.endsWith(".js"))
      .map((name) => readFileSync(join(dist, name), "utf8"))
      .join("\n");
    expect(bundle).toContain('import("prom-client")');
    expect(bundle).not.toContain("node_modules/prom-client/");
    const run = await runCli(
      [
        "status",
        "prod.json",
        "--json",
        "--metrics-file",
        "spawned.prom",
        "--from-block",
        String(fromBlock),
      ],
      { cwd: dir, env: { ...net.env, XDG_DATA_HOME: dataHome, MIN_ETH_PER_ATTESTER: "0.1" } },
    );
    expect(run.code, run.stderr).toBe(3);
    const spawned = samplesOf(readFileSync(join(dir, "spawned.prom"), "utf8"));
    expect(spawned).toEqual(expectedSamples(jsonOf(run)));
  });
});
