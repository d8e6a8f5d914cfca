/**
 * fund-publishers on the production-parity chain: the high-availability example's three key
 * files with publishers at 0, below, at, just above and far above their minimum; the transfers
 * sent by a funder; then nothing left to do, and prepare-deployment's funding check silent.
 * One chain; every run in-process except one spawned run of the bin.
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KeystoreManager } from "@aztec/node-keystore";
import { loadKeystoreFile } from "@aztec/node-keystore/loader";
import { getAddress, parseEther, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builderChecksum } from "../../src/core/files/safe-tx-builder.js";
import { ANVIL_ACCOUNTS, rpc, setBalances } from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, tempDir } from "../support/files.js";
import { expectRefusal, recordDirs } from "../support/refusal.js";
import { startRpcProxy } from "../support/rpc-proxy.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const FILES = ["A_", "B_", "C_"].map((prefix) => `${prefix}prod-testnet-keyfile.json.new`);
const FUNDER = ANVIL_ACCOUNTS[9]!;
const eth = (value: string) => parseEther(value);

let net: RegistryChain;
let dir: string;
let publishers: Address[];

const env = (extra: Record<string, string> = {}) => ({
  ...net.env,
  XDG_DATA_HOME: tempDir("butler-fund-data-"),
  MIN_ETH_PER_ATTESTER: "0.1",
  ...extra,
});
const fund = (args: string[], extra?: Record<string, string>) =>
  runInProcess(["fund-publishers", ...args], { cwd: dir, env: env(extra) });
const transfersOf = (run: CliResult) =>
  (JSON.parse(run.stdout) as { transactions: { to: Address; value: string; data: Hex }[] })
    .transactions;

/**
 * The example's 10 publishers: A_ has 1–3 (5 attesters each, minimum 0.5 ETH), B_ 4–6 (5 each),
 * C_ 7–10 (4, 4, 4, 3).
 */
const BALANCES = [
  eth("0"), // P1: empty → 1.0 (2 × 0.1 × 5)
  eth("0.3"), // P2: below → 0.7
  eth("0.5") + 1n, // P3: just above the minimum → left alone
  eth("100"), // P4: far above
  eth("0.5"), // P5: exactly at the minimum → left alone
  eth("0.5") - 1n, // P6: one wei below → 0.5 + 1 wei
  eth("1"),
  eth("1"),
  eth("1"),
  eth("1"),
];
const EXPECTED_TRANSFERS = () => [
  { to: publishers[0]!, value: eth("1").toString(), data: "0x" },
  { to: publishers[1]!, value: eth("0.7").toString(), data: "0x" },
  { to: publishers[5]!, value: (eth("0.5") + 1n).toString(), data: "0x" },
];

beforeAll(async () => {
  net = await startRegistryChain();
  dir = copyToTemp(join(ownPhasesDir, "high-availability"));
  publishers = (JSON.parse(readFileSync(join(dir, "publishers.json"), "utf8")) as string[]).map(
    (p) => getAddress(p),
  );
  await setBalances(
    net.chain,
    publishers.map((address, i) => ({ address, wei: BALANCES[i]! })),
  );
});
afterAll(async () => {
  await net?.stop();
});

describe("fund-publishers", () => {
  it("prints the top-ups of the publishers below their minimum, in file order, with the table (spawned)", async () => {
    const run = await runCli(["fund-publishers", ...FILES], { cwd: dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(transfersOf(run)).toEqual(EXPECTED_TRANSFERS());
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^PUBLISHER +ATTESTERS +BALANCE \(ETH\) +MINIMUM \(ETH\) +TOP-UP \(ETH\)$/,
    );
    const cells = lines.slice(1, 11).map((line) => line.split(/ +/));
    expect(cells).toEqual([
      [publishers[0], "5", "0", "0.5", "1"],
      [publishers[1], "5", "0.3", "0.5", "0.7"],
      [publishers[2], "5", "0.500000000000000001", "0.5", "-"],
      [publishers[3], "5", "100", "0.5", "-"],
      [publishers[4], "5", "0.5", "0.5", "-"],
      [publishers[5], "5", "0.499999999999999999", "0.5", "0.500000000000000001"],
      [publishers[6], "4", "1", "0.4", "-"],
      [publishers[7], "4", "1", "0.4", "-"],
      [publishers[8], "4", "1", "0.4", "-"],
      [publishers[9], "3", "1", "0.3", "-"],
    ]);
    expect(lines[11]).toMatch(
      /^total: 2\.200000000000000001 ETH to 3 of 10 publishers \(MIN_ETH_PER_ATTESTER 0\.1 ETH, topped up to 0\.2 ETH per attester served; balances at block \d+\)$/,
    );
    expect(lines).toHaveLength(12);
  });

  it("refuses a total above --max-total-eth, naming the total and the largest top-up, and writes nothing", async () => {
    const unchanged = recordDirs(dir);
    const limit = await fund([...FILES, "--max-total-eth", "2.2", "-o", "out.json"]);
    expectRefusal(limit, {
      code: 65,
      thrown: { name: "InputError", code: "TOP_UP_TOTAL_TOO_LARGE" },
      naming: ["2.200000000000000001 ETH", "2.2 ETH", publishers[0]!],
      unchanged,
    });
    // A MIN_ETH_PER_ATTESTER typo (100 for 0.1) meets the default limit of 10 ETH.
    const typo = await fund([...FILES, "--safe-tx-builder", "fund"], {
      MIN_ETH_PER_ATTESTER: "100",
    });
    // Minimum 500 ETH (5 attesters) or 400 / 300 ETH: every publisher is topped up to twice that.
    expectRefusal(typo, {
      code: 65,
      thrown: { name: "InputError", code: "TOP_UP_TOTAL_TOO_LARGE" },
      naming: ["8894.2 ETH", "1000 ETH", publishers[0]!],
      unchanged,
    });
  });

  it("refuses bad amounts, a target below the minimum, a file given twice and an output that is an input", async () => {
    const unchanged = recordDirs(dir);
    for (const [args, code] of [
      [["--max-total-eth", "1e3"], "INVALID_OPTION_VALUE"],
      [["--max-total-eth", "0"], "INVALID_OPTION_VALUE"],
      [["--target-eth-per-attester", "0.0000000000000000001"], "INVALID_OPTION_VALUE"],
      [["--target-eth-per-attester", "0.05"], "TOP_UP_TARGET_BELOW_MINIMUM"],
    ] as const) {
      expectRefusal(await fund([...FILES, ...args]), {
        code: 64,
        thrown: { name: "UsageError", code },
        // The option and the value given, whatever the wording.
        naming: args,
        unchanged,
      });
    }
    linkSync(join(dir, FILES[0]!), join(dir, "hard-link.json"));
    const withLink = recordDirs(dir);
    expectRefusal(await fund([FILES[0]!, "hard-link.json"]), {
      code: 64,
      thrown: { name: "UsageError", code: "FILE_GIVEN_TWICE", file: "hard-link.json" },
      naming: [FILES[0]!],
      unchanged: withLink,
    });
    expectRefusal(await fund([FILES[0]!, "-o", "hard-link.json", "--force"]), {
      code: 64,
      thrown: { name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "hard-link.json" },
      naming: [FILES[0]!],
      unchanged: withLink,
    });
    rmSync(join(dir, "hard-link.json"));
  });

  it("writes -o and one Safe Transaction Builder file, the funder sends the transfers, and a re-run finds nothing to do", async () => {
    const run = await fund([...FILES, "-o", "transfers.json", "--safe-tx-builder", "fund"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, "transfers.json"), "utf8")).toBe(`${run.stdout}`);
    const safe = JSON.parse(readFileSync(join(dir, "fund.json"), "utf8"));
    expect(safe).toEqual({
      version: "1.0",
      chainId: String(net.chain.chainId),
      createdAt: expect.any(Number),
      meta: {
        name: null,
        description: expect.stringMatching(
          /^aztec-butler fund-publishers: total: 2\.200000000000000001 ETH to 3 of 10 publishers/,
        ),
        // The builder's own checksum: it does not warn on import (issue 15).
        checksum: builderChecksum(safe),
      },
      transactions: EXPECTED_TRANSFERS(),
    });
    expect(run.stderr).toMatch(
      /^wrote transfers\.json\nwrote fund\.json \(Safe Transaction Builder\)\n$/m,
    );

    // The funder sends them as they are.
    for (const tx of transfersOf(run)) {
      const hash = await net.chain.walletClient.sendTransaction({
        account: FUNDER,
        to: tx.to,
        value: BigInt(tx.value),
        data: tx.data,
      });
      const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
    }
    for (const i of [0, 1, 5]) {
      expect(await net.chain.publicClient.getBalance({ address: publishers[i]! })).toBe(eth("1"));
    }

    const again = await fund([...FILES, "--safe-tx-builder", "fund-again"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ transactions: [] });
    expect(again.stderr).toMatch(
      /nothing to fund: all 10 publishers at or above their minimum .*\nnothing to send: fund-again\.json not written\n$/,
    );
  });

  it("reads the block number, then the chain id, every balance and every code in one batched request", async () => {
    const proxy = await startRpcProxy(net.chain.rpcUrl);
    try {
      const run = await fund(FILES, { ETHEREUM_NODE_URL: proxy.url });
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.stats.methods).toEqual({
        eth_blockNumber: 1,
        eth_chainId: 1,
        eth_getBalance: 10,
        eth_getCode: 10,
      });
      expect(proxy.stats.httpRequests).toBe(2);
    } finally {
      await proxy.stop();
    }
  });

  it("leaves prepare-deployment's funding check with nothing to warn about", async () => {
    const run = await runInProcess(
      [
        "prepare-deployment",
        "prod-testnet-keyfile.json",
        "publishers.json",
        "--new-public-keys",
        "new-public-keys.json",
        "--high-availability-count",
        "3",
      ],
      { cwd: dir, env: env() },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // The same plan as the files just funded.
    for (const file of FILES) {
      expect(readFileSync(join(dir, `${file}2`), "utf8")).toBe(
        readFileSync(join(dir, file), "utf8"),
      );
    }
  });

  it("counts publishers as the node resolves them: its own list, schemaVersion 2's file-wide one, else the attester; warns about a contract", async () => {
    const remoteSigner = "http://web3signer.example:9000";
    const [q1, q2, q3, a0, a1, a2, a3] = Array.from({ length: 7 }, (_, i) =>
      getAddress(`0x${(0xf00 + i).toString(16).padStart(40, "0")}`),
    );
    const feeRecipient = `0x${"0".repeat(64)}`;
    writeFileSync(
      join(dir, "v2.json"),
      JSON.stringify({
        schemaVersion: 2,
        remoteSigner,
        publisher: q1!.toLowerCase(),
        feeRecipient,
        validators: [
          { attester: { eth: a0 } },
          { attester: { eth: a1 }, publisher: [q2, q1] },
          { attester: { eth: a2 }, publisher: { address: q3, remoteSignerUrl: remoteSigner } },
        ],
      }),
    );
    writeFileSync(
      join(dir, "v1.json"),
      JSON.stringify({
        schemaVersion: 1,
        remoteSigner,
        validators: [{ attester: a3, feeRecipient }],
      }),
    );
    // The node's own resolution, as the oracle: publishers per validator, summed over the files.
    const served = new Map<string, number>();
    for (const file of ["v2.json", "v1.json"]) {
      const manager = new KeystoreManager(loadKeystoreFile(join(dir, file)));
      for (let i = 0; i < manager.getValidatorCount(); i++) {
        for (const signer of manager.createPublisherSigners(i)) {
          const address = getAddress(signer.address.toString());
          served.set(address, (served.get(address) ?? 0) + 1);
        }
      }
    }
    expect([...served]).toEqual([
      [q1, 2],
      [q2, 1],
      [q3, 1],
      [a3, 1],
    ]);
    // q3 is a contract; q2 an EIP-7702 account delegating to q1 (told apart).
    await rpc(net.chain, "anvil_setCode", [q3, "0x6080604052"]);
    await rpc(net.chain, "anvil_setCode", [q2, `0xef0100${q1!.slice(2)}`]);

    const run = await fund(["v2.json", "v1.json", "--target-eth-per-attester", "0.3"]);
    expect(run.code, run.stderr).toBe(0);
    expect(transfersOf(run)).toEqual(
      [...served].map(([to, attesters]) => ({
        to,
        value: (eth("0.3") * BigInt(attesters)).toString(),
        data: "0x",
      })),
    );
    expect(run.stderr).toContain(
      `warning: publisher ${q3} is a contract (it has code on chain): a contract cannot sign the node's L1 transactions`,
    );
    expect(run.stderr).toMatch(new RegExp(`\\n${a3} \\(attester\\) +1 +0 +0\\.1 +0\\.3\\n`));
    expect(run.stderr).toContain(
      `warning: publisher ${q2} is an EIP-7702 delegated account (its code delegates to ${q1}): ETH sent to it runs that code`,
    );
    expect(run.stderr.match(/^warning:/gm)).toHaveLength(2);
  });

  it("refuses a file-wide publisher in a schemaVersion 1 file, naming the field", async () => {
    writeFileSync(
      join(dir, "v1-wide.json"),
      JSON.stringify({
        schemaVersion: 1,
        publisher: publishers[0],
        validators: [{ attester: ANVIL_ACCOUNTS[3], feeRecipient: `0x${"0".repeat(64)}` }],
      }),
    );
    expectRefusal(await fund(["v1-wide.json"]), {
      code: 65,
      thrown: {
        name: "InputError",
        code: "FILE_WIDE_PUBLISHER_NEEDS_V2",
        file: "v1-wide.json",
        field: "publisher",
      },
      unchanged: recordDirs(dir),
    });
  });
});
