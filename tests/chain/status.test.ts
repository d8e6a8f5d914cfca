/**
 * status and fill-coinbases on the production-parity chain (Aztec's real L1, the test staking
 * registry): attesters walked through every lifecycle state, `status --json` checked exactly.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KeystoreManager } from "@aztec/node-keystore";
import { loadKeystoreFile } from "@aztec/node-keystore/loader";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { getAddress, numberToHex, parseEther, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registrationKeysOf } from "../../src/core/keys/registration.js";
import {
  flushEntryQueue,
  generatedValidatorKeys,
  stakeWithProvider,
  type StakedKey,
} from "../support/aztec-l1.js";
import { ANVIL_ACCOUNTS, aztecOf, rpcBatch, setBalances } from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const ZERO_FEE_RECIPIENT = `0x${"0".repeat(64)}`;
const DELEGATOR = ANVIL_ACCOUNTS[5]!;
const PUBLISHERS = [ANVIL_ACCOUNTS[6]!, ANVIL_ACCOUNTS[7]!];
const MIN_WEI = parseEther("0.1");

/** Aztec's compressed G1 form (computeBn254G1PublicKeyCompressed): x, bit 255 set when y is odd. */
const compress = ({ x, y }: { x: bigint; y: bigint }) =>
  `0x${(((y & 1n) << 255n) | x).toString(16).padStart(64, "0")}`;

let net: RegistryChain;
let dir: string;
let dataHome: string;
/** Validators 0..5 are registered with the provider; 6 never is. */
const keys = generatedValidatorKeys(7, "status-test");
const attesters = keys.map((k) => privateKeyToAddress(k.eth));
let staked: StakedKey[] = [];
const splitOf = (i: number) => staked.find((s) => s.attester === attesters[i])!.coinbaseSplit;

function env(extra: Record<string, string | undefined> = {}) {
  return {
    ...net.env,
    XDG_DATA_HOME: dataHome,
    MIN_ETH_PER_ATTESTER: "0.1",
    ...extra,
  };
}
/**
 * The test chain starts from a loaded state, whose earlier blocks anvil cannot answer for, so the
 * registry's deployment block cannot be searched here (tests/chain/events.test.ts does that on a
 * chain of its own): status and fill-coinbases read events from the chain's first own block.
 */
let fromBlock: bigint;
/** In-process, unless `runner` is runCli: one spawned run per command and exit code. */
const cli = (
  args: string[],
  extra?: Record<string, string | undefined>,
  runner: typeof runCli = runInProcess,
) =>
  runner(
    ["status", "fill-coinbases"].includes(args[0]!)
      ? [...args, "--from-block", String(fromBlock)]
      : args,
    { cwd: dir, env: env(extra), timeoutMs: 120_000 },
  );

interface Row {
  address: string;
  state: string;
  chainState: string;
  noLongerActive: string | null;
  rollupStatus: string;
  providerQueuePosition: number | null;
  entryQueuePosition: number | null;
  entryQueueFlushEstimate: { epoch: number; timestamp: number } | null;
  coinbase: { keyFile: string | null; chain: string | null };
  publisher: { address: string; balanceWei: string; requiredWei: string } | null;
  problems: string[];
  files: {
    file: string | null;
    index: number | null;
    coinbase: string | null;
    publisher: Row["publisher"];
    problems: string[];
  }[];
}
interface Doc {
  blockNumber: number;
  attesters: Row[];
  counts: Record<string, number>;
  problems: {
    address: string;
    problem: string;
    file: string | null;
    index: number | null;
    message: string;
  }[];
  providerQueue: { length: number; firstIndex: string; blockedHead: number; problems: unknown[] };
}

/** A provider queue of sound keys (add-keys signed them), as status --json reports it. */
const soundQueue = (length: number, firstIndex: number) => ({
  length,
  firstIndex: String(firstIndex),
  blockedHead: 0,
  problems: [],
});

/** The key file the last statusJson reported on: the one `row` expects every attester from. */
let reported = "prod.json";

async function statusJson(
  files: string[],
  extra?: Record<string, string>,
  runner: typeof runCli = runInProcess,
): Promise<{ run: CliResult; doc: Doc }> {
  if (files[0] !== undefined) reported = files[0];
  const run = await cli(["status", ...files, "--json"], extra, runner);
  if (run.code !== 0 && run.code !== 3)
    throw new Error(`status failed (${run.code}): ${run.stderr}`);
  return { run, doc: JSON.parse(run.stdout) as Doc };
}

/** The production key file on the node: validators 0..6, publishers alternating, coinbases as given. */
function productionFile(name: string, coinbases: Record<number, string> = {}): string {
  const content = {
    schemaVersion: 1,
    remoteSigner: "http://web3signer.example:9000",
    validators: keys.map((k, i) => ({
      attester: { eth: attesters[i], bls: compress(registrationKeysOf(k).bls.g1) },
      publisher: PUBLISHERS[i % 2],
      ...(coinbases[i] ? { coinbase: coinbases[i] } : {}),
      feeRecipient: ZERO_FEE_RECIPIENT,
    })),
  };
  writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
  return name;
}

/** The row status should print, with every field; `over` overrides what differs from NEW. */
function row(i: number, over: Partial<Row>): Row {
  const base = {
    address: attesters[i]!,
    state: "NEW",
    chainState: "NEW",
    noLongerActive: null,
    rollupStatus: "NONE",
    providerQueuePosition: null,
    entryQueuePosition: null,
    entryQueueFlushEstimate: null,
    coinbase: { keyFile: null, chain: null },
    publisher: {
      address: PUBLISHERS[i % 2]!,
      balanceWei: parseEther("1").toString(),
      // 7 validators alternate over 2 publishers: 4 and 3.
      requiredWei: (MIN_WEI * (i % 2 === 0 ? 4n : 3n)).toString(),
    },
    problems: [],
    ...over,
  };
  const fileProblems = ["COINBASE_MISSING", "COINBASE_MISMATCH", "PUBLISHER_EMPTY"];
  return {
    ...base,
    files: [
      {
        file: reported,
        index: i,
        coinbase: base.coinbase.keyFile,
        publisher: base.publisher,
        problems: base.problems.filter((p) => fileProblems.includes(p)),
      },
    ],
  };
}

const counts = (c: Partial<Record<string, number>>) => ({
  NEW: 0,
  IN_STAKING_PROVIDER_QUEUE: 0,
  COINBASE_NEEDED: 0,
  IN_STAKING_QUEUE: 0,
  ACTIVE: 0,
  NO_LONGER_ACTIVE: 0,
  ...c,
});

async function rollupWrite(functionName: string, args: unknown[], account: Address) {
  const { rollup } = aztecOf(net.chain);
  await net.chain.publicClient.simulateContract({
    address: rollup,
    abi: RollupAbi,
    functionName: functionName as "initiateWithdraw",
    args: args as [Address, Address],
    account,
  });
  const hash = await net.chain.walletClient.writeContract({
    address: rollup,
    abi: RollupAbi,
    functionName: functionName as "initiateWithdraw",
    args: args as [Address, Address],
    account,
    // Not estimated: the estimate leaves too little for the GSE's bookkeeping.
    gas: 5_000_000n,
  });
  const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
}

beforeAll(async () => {
  net = await startRegistryChain();
  fromBlock = await net.chain.publicClient.getBlockNumber();
  dir = tempDir("butler-status-");
  dataHome = tempDir("butler-status-data-");
  await setBalances(
    net.chain,
    PUBLISHERS.map((address) => ({ address, wei: parseEther("1") })),
  );
  const privateKeyFile = {
    schemaVersion: 1,
    validators: keys.slice(0, 6).map((k, i) => ({
      attester: k,
      publisher: generatedValidatorKeys(6, "status-test-publishers")[i]!.eth,
      feeRecipient: ZERO_FEE_RECIPIENT,
    })),
  };
  writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(privateKeyFile, null, 2));
}, 120_000);
afterAll(async () => {
  await net?.stop();
});

describe("status and fill-coinbases walk attesters through every state", () => {
  it("reports every attester NEW before registration, from a private-key file too", async () => {
    const prod = productionFile("prod.json");
    const { run, doc } = await statusJson([prod], undefined, runCli);
    expect(run.code).toBe(0);
    expect(doc.attesters).toEqual(attesters.map((_, i) => row(i, {})));
    expect(doc.counts).toEqual(counts({ NEW: 7 }));
    expect(doc.problems).toEqual([]);
    expect(doc.providerQueue).toEqual(soundQueue(0, 1));

    const fromPrivate = await statusJson(["new-private-keys.json"]);
    expect(fromPrivate.doc.attesters.map((a) => [a.address, a.state, a.publisher])).toEqual(
      attesters.slice(0, 6).map((a) => [a, "NEW", null]),
    );
    expect(fromPrivate.run.stdout + fromPrivate.run.stderr).not.toContain(keys[0]!.eth.slice(2));
  });

  it("IN_STAKING_PROVIDER_QUEUE with positions once add-keys' calldata is sent by the admin", async () => {
    const addKeys = await cli(["add-keys", "new-private-keys.json"], {
      AZTEC_GSE_ADDRESS: aztecOf(net.chain).gse,
    });
    expect(addKeys.code, addKeys.stderr).toBe(0);
    const tx = JSON.parse(addKeys.stdout) as { contractToCall: Address; callData: Hex };
    const hash = await net.chain.walletClient.sendTransaction({
      account: net.admin,
      to: tx.contractToCall,
      data: tx.callData,
    });
    expect((await net.chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe(
      "success",
    );

    const { run, doc } = await statusJson(["prod.json"]);
    expect(run.code).toBe(0);
    expect(doc.attesters).toEqual(
      attesters.map((_, i) =>
        i < 6
          ? row(i, {
              state: "IN_STAKING_PROVIDER_QUEUE",
              chainState: "IN_STAKING_PROVIDER_QUEUE",
              providerQueuePosition: i,
            })
          : row(i, {}),
      ),
    );
    expect(doc.counts).toEqual(counts({ NEW: 1, IN_STAKING_PROVIDER_QUEUE: 6 }));
    expect(doc.providerQueue).toEqual(soundQueue(6, 1));
  });

  it("COINBASE_NEEDED in the entry queue once staked, coinbase = the event's split; exit 3", async () => {
    staked = await stakeWithProvider(net.chain, {
      providerId: net.providerId,
      count: 5,
      delegator: DELEGATOR,
    });
    expect(staked.map((s) => s.attester)).toEqual(attesters.slice(0, 5));

    const { run, doc } = await statusJson(["prod.json"], undefined, runCli);
    expect(run.code).toBe(3);
    for (let i = 0; i < 5; i++) {
      const got = doc.attesters[i]!;
      expect(got).toEqual(
        row(i, {
          state: "COINBASE_NEEDED",
          chainState: "IN_STAKING_QUEUE",
          entryQueuePosition: i,
          entryQueueFlushEstimate: got.entryQueueFlushEstimate,
          coinbase: { keyFile: null, chain: splitOf(i) },
          problems: ["COINBASE_MISSING"],
        }),
      );
      expect(got.entryQueueFlushEstimate).not.toBeNull();
    }
    expect(doc.attesters[5]).toEqual(
      row(5, {
        state: "IN_STAKING_PROVIDER_QUEUE",
        chainState: "IN_STAKING_PROVIDER_QUEUE",
        providerQueuePosition: 0,
      }),
    );
    expect(doc.counts).toEqual(
      counts({ NEW: 1, IN_STAKING_PROVIDER_QUEUE: 1, COINBASE_NEEDED: 5 }),
    );
    expect(doc.problems.map((p) => [p.address, p.problem])).toEqual(
      attesters.slice(0, 5).map((a) => [a, "COINBASE_MISSING"]),
    );
    expect(doc.providerQueue).toEqual(soundQueue(1, 6));

    // Validator 4's operator already put its split in the file: IN_STAKING_QUEUE.
    productionFile("prod-4.json", { 4: splitOf(4) });
    const withCoinbase = await statusJson(["prod-4.json"]);
    expect(withCoinbase.doc.attesters[4]).toMatchObject({
      state: "IN_STAKING_QUEUE",
      chainState: "IN_STAKING_QUEUE",
      coinbase: { keyFile: splitOf(4), chain: splitOf(4) },
      problems: [],
    });
    // A coinbase that is not the split: COINBASE_NEEDED, named as a mismatch.
    productionFile("prod-wrong.json", { 4: ANVIL_ACCOUNTS[9]! });
    const wrong = await statusJson(["prod-wrong.json"]);
    expect(wrong.doc.attesters[4]).toMatchObject({
      state: "COINBASE_NEEDED",
      problems: ["COINBASE_MISMATCH"],
    });
    expect(wrong.doc.problems.find((p) => p.problem === "COINBASE_MISMATCH")?.message).toContain(
      splitOf(4),
    );
  });

  it("after the flush, fill-coinbases writes a .new the node's loader accepts; status on it: ACTIVE", async () => {
    await flushEntryQueue(net.chain);
    const before = await statusJson(["prod-4.json"]);
    expect(before.doc.attesters.slice(0, 5).map((a) => [a.state, a.chainState])).toEqual([
      ["COINBASE_NEEDED", "ACTIVE"],
      ["COINBASE_NEEDED", "ACTIVE"],
      ["COINBASE_NEEDED", "ACTIVE"],
      ["COINBASE_NEEDED", "ACTIVE"],
      ["ACTIVE", "ACTIVE"],
    ]);

    // A coinbase that differs from the chain's is refused, naming both, and nothing is written.
    const untouched = snapshot(dir);
    const refused = await cli(["fill-coinbases", "prod-wrong.json"]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain("prod-wrong.json, validator 4, coinbase");
    expect(refused.stderr).toContain(getAddress(ANVIL_ACCOUNTS[9]!));
    expect(refused.stderr).toContain(splitOf(4));
    expect(snapshot(dir)).toEqual(untouched);

    const fill = await cli(["fill-coinbases", "prod-4.json"], undefined, runCli);
    expect(fill.code, fill.stderr).toBe(0);
    expect(fill.stdout).toContain("wrote prod-4.json.new (4 coinbases filled");
    expect(fill.stderr).toContain(
      `not staked yet (keeps no coinbase): validator 5 ${attesters[5]}`,
    );
    expect(fill.stderr).toContain(
      `not staked yet (keeps no coinbase): validator 6 ${attesters[6]}`,
    );
    const written = JSON.parse(readFileSync(join(dir, "prod-4.json.new"), "utf8")) as {
      remoteSigner: string;
      validators: Record<string, unknown>[];
    };
    const input = JSON.parse(readFileSync(join(dir, "prod-4.json"), "utf8")) as typeof written;
    expect(written.remoteSigner).toBe(input.remoteSigner);
    written.validators.forEach((v, i) => {
      if (i < 5) {
        expect(Object.keys(v)).toEqual(["attester", "publisher", "coinbase", "feeRecipient"]);
        expect(v).toEqual({ ...input.validators[i], coinbase: splitOf(i) });
      } else {
        expect(v).toEqual(input.validators[i]);
      }
    });
    const keystore = loadKeystoreFile(join(dir, "prod-4.json.new"));
    expect(() => new KeystoreManager(keystore)).not.toThrow();

    // Nothing left to fill: says so, writes nothing.
    const files = readdirSync(dir).sort();
    const again = await cli(["fill-coinbases", "prod-4.json.new"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("nothing to fill");
    expect(readdirSync(dir).sort()).toEqual(files);

    const { run, doc } = await statusJson(["prod-4.json.new"]);
    expect(run.code).toBe(0);
    for (let i = 0; i < 5; i++) {
      expect(doc.attesters[i]).toEqual(
        row(i, {
          state: "ACTIVE",
          chainState: "ACTIVE",
          rollupStatus: "VALIDATING",
          coinbase: { keyFile: splitOf(i), chain: splitOf(i) },
        }),
      );
    }
  });

  it("NO_LONGER_ACTIVE via the rollup's withdraw path: EXITING, then EXITED", async () => {
    const exiting = attesters[3]!;
    await rollupWrite("initiateWithdraw", [exiting, DELEGATOR], DELEGATOR);
    const during = await statusJson(["prod-4.json.new"]);
    expect(during.doc.attesters[3]).toEqual(
      row(3, {
        state: "NO_LONGER_ACTIVE",
        chainState: "NO_LONGER_ACTIVE",
        noLongerActive: "EXITING",
        rollupStatus: "EXITING",
        coinbase: { keyFile: splitOf(3), chain: splitOf(3) },
      }),
    );

    const { rollup } = aztecOf(net.chain);
    const delay = (await net.chain.publicClient.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "getExitDelay",
    })) as bigint;
    const latest = await net.chain.publicClient.getBlock();
    await rpcBatch(net.chain, [
      {
        method: "evm_setNextBlockTimestamp",
        params: [numberToHex(latest.timestamp + delay + 60n)],
      },
      { method: "evm_mine", params: [] },
    ]);
    await rollupWrite("finalizeWithdraw", [exiting], ANVIL_ACCOUNTS[0]!);

    const { run, doc } = await statusJson(["prod-4.json.new"]);
    expect(run.code).toBe(0);
    expect(doc.blockNumber).toBe(Number(await net.chain.publicClient.getBlockNumber()));
    const active = (i: number) =>
      row(i, {
        state: "ACTIVE",
        chainState: "ACTIVE",
        rollupStatus: "VALIDATING",
        coinbase: { keyFile: splitOf(i), chain: splitOf(i) },
      });
    const block = await net.chain.publicClient.getBlock({ blockNumber: BigInt(doc.blockNumber) });
    expect(doc).toEqual({
      blockNumber: doc.blockNumber,
      blockTimestamp: Number(block.timestamp),
      attesters: [
        active(0),
        active(1),
        active(2),
        row(3, {
          state: "NO_LONGER_ACTIVE",
          chainState: "NO_LONGER_ACTIVE",
          noLongerActive: "EXITED",
          coinbase: { keyFile: splitOf(3), chain: splitOf(3) },
        }),
        active(4),
        row(5, {
          state: "IN_STAKING_PROVIDER_QUEUE",
          chainState: "IN_STAKING_PROVIDER_QUEUE",
          providerQueuePosition: 0,
        }),
        row(6, {}),
      ],
      counts: counts({ NEW: 1, IN_STAKING_PROVIDER_QUEUE: 1, ACTIVE: 4, NO_LONGER_ACTIVE: 1 }),
      providerQueue: soundQueue(1, 6),
      problems: [],
    });
  });

  it("the terminal table: one row per attester, then counts per state", async () => {
    const run = await cli(["status", "prod-4.json.new"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ATTESTER\s+STATE\s+WHERE\s+COINBASE\s+PUBLISHER/);
    expect(lines.slice(1, 8).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      [attesters[0], "ACTIVE"],
      [attesters[1], "ACTIVE"],
      [attesters[2], "ACTIVE"],
      [attesters[3], "NO_LONGER_ACTIVE"],
      [attesters[4], "ACTIVE"],
      [attesters[5], "IN_STAKING_PROVIDER_QUEUE"],
      [attesters[6], "NEW"],
    ]);
    expect(lines[3 + 1]).toContain("EXITED");
    expect(run.stdout).toContain(
      "NEW 1, IN_STAKING_PROVIDER_QUEUE 1, COINBASE_NEEDED 0, IN_STAKING_QUEUE 0, ACTIVE 4, NO_LONGER_ACTIVE 1 (7 attesters)",
    );
    expect(run.stdout).toContain(
      "provider queue: 1 key from index 6, every one sound\neverything is consistent\n",
    );
  });

  it("high availability: every file's validators are checked, whatever the order of the files", async () => {
    // B's server: no coinbases yet, and a publisher of its own that holds no ETH.
    const emptyPublisher = "0x000000000000000000000000000000000000dEaD";
    const a = JSON.parse(readFileSync(join(dir, "prod-4.json.new"), "utf8")) as {
      validators: Record<string, unknown>[];
    };
    writeFileSync(
      join(dir, "B_prod.json"),
      JSON.stringify({
        ...a,
        validators: a.validators.map(({ coinbase: _coinbase, ...v }) => ({
          ...v,
          publisher: emptyPublisher,
        })),
      }),
    );
    const problemsOf = (doc: Doc) =>
      doc.problems.map((p) => `${p.address} ${p.problem} ${p.file}`).sort();
    const active = [0, 1, 2, 4].map((i) => attesters[i]!);
    const expected = [
      ...active.map((x) => `${x} COINBASE_MISSING B_prod.json`),
      ...active.map((x) => `${x} PUBLISHER_EMPTY B_prod.json`),
    ].sort();
    for (const files of [
      ["prod-4.json.new", "B_prod.json"],
      ["B_prod.json", "prod-4.json.new"],
    ]) {
      const { run, doc } = await statusJson(files);
      expect(run.code).toBe(3);
      expect(problemsOf(doc)).toEqual(expected);
      expect(doc.attesters).toHaveLength(7);
      const row0 = doc.attesters[0]!;
      expect(row0.state).toBe("COINBASE_NEEDED");
      expect(row0.files.map((f) => [f.file, f.coinbase, f.publisher?.address, f.problems])).toEqual(
        [
          ["prod-4.json.new", splitOf(0), PUBLISHERS[0], []],
          [
            "B_prod.json",
            null,
            getAddress(emptyPublisher),
            ["COINBASE_MISSING", "PUBLISHER_EMPTY"],
          ],
        ].sort((x, y) => files.indexOf(x[0] as string) - files.indexOf(y[0] as string)),
      );
    }
    const table = await cli(["status", "B_prod.json", "prod-4.json.new"]);
    expect(table.stdout).toContain(
      `needs you: ${attesters[0]}: active with no coinbase in B_prod.json (validator 0); its split is ${splitOf(0)}: run fill-coinbases`,
    );
  });

  it("--update-scraper-config writes the states and coinbases; status then reads it by default", async () => {
    const configDir = join(dataHome, "aztec-butler");
    mkdirSync(configDir, { recursive: true });
    const path = join(configDir, "testnet-scrape-config.json");
    const zero = "0x0000000000000000000000000000000000000000";
    writeFileSync(
      path,
      JSON.stringify({
        network: "testnet",
        l1ChainId: net.chain.chainId,
        stakingProviderId: String(net.providerId),
        stakingProviderAdmin: net.admin,
        attesters: attesters.map((address, i) => ({
          address,
          coinbase: zero,
          publisher: PUBLISHERS[i % 2],
          lastSeenState: i === 6 ? "IN_STAKING_PROVIDER_QUEUE" : "NEW",
          extra: "kept",
        })),
        lastUpdated: "2026-01-01T00:00:00.000Z",
        version: "1.0",
      }),
    );
    const update = await cli(["status", "prod-4.json.new", "--update-scraper-config", "--json"]);
    // Validator 6 is NEW on chain but recorded further along: the operator is told (exit 3).
    expect(update.code, update.stderr).toBe(3);
    const doc = JSON.parse(update.stdout) as Doc;
    expect(doc.problems.map((p) => [p.address, p.problem])).toEqual([
      [attesters[6], "UNKNOWN_TO_CHAIN"],
    ]);
    const readConfig = () =>
      JSON.parse(readFileSync(path, "utf8")) as {
        attesters: {
          address: string;
          coinbase: string;
          expectedCoinbase?: string;
          lastSeenState: string;
          extra: string;
        }[];
      };
    // `coinbase` is what the key file deploys; the chain's split goes in `expectedCoinbase`.
    expect(
      readConfig().attesters.map((a) => [a.lastSeenState, a.coinbase, a.expectedCoinbase, a.extra]),
    ).toEqual([
      ["ACTIVE", splitOf(0), splitOf(0), "kept"],
      ["ACTIVE", splitOf(1), splitOf(1), "kept"],
      ["ACTIVE", splitOf(2), splitOf(2), "kept"],
      ["NO_LONGER_ACTIVE", splitOf(3), splitOf(3), "kept"],
      ["ACTIVE", splitOf(4), splitOf(4), "kept"],
      ["IN_STAKING_PROVIDER_QUEUE", zero, undefined, "kept"],
      // NEW on chain never moves a recorded state back.
      ["IN_STAKING_PROVIDER_QUEUE", zero, undefined, "kept"],
    ]);

    // Without key files: the scraper config's attesters, with its coinbases.
    const { doc: fromConfig } = await statusJson([]);
    expect(fromConfig.attesters.map((a) => a.state)).toEqual([
      "ACTIVE",
      "ACTIVE",
      "ACTIVE",
      "NO_LONGER_ACTIVE",
      "ACTIVE",
      "IN_STAKING_PROVIDER_QUEUE",
      "NEW",
    ]);

    // The deployed file without coinbases (prod.json): the scraper config says so, and the
    // monitoring path (plain status) reports the active attesters' coinbases missing, never
    // "everything is consistent" on the strength of the chain's split.
    const deployedWithout = await cli(["status", "prod.json", "--update-scraper-config"]);
    expect(deployedWithout.code, deployedWithout.stderr).toBe(3);
    expect(
      readConfig()
        .attesters.slice(0, 5)
        .map((a) => [a.coinbase, a.expectedCoinbase]),
    ).toEqual([0, 1, 2, 3, 4].map((i) => [zero, splitOf(i)]));
    const monitoring = await cli(["status"]);
    expect(monitoring.code).toBe(3);
    expect(monitoring.stdout).not.toContain("everything is consistent");
    const { doc: monitored } = await statusJson([]);
    expect(monitored.attesters.slice(0, 5).map((a) => a.state)).toEqual([
      "COINBASE_NEEDED",
      "COINBASE_NEEDED",
      "COINBASE_NEEDED",
      "NO_LONGER_ACTIVE",
      "COINBASE_NEEDED",
    ]);
  });
});
