/**
 * Issue 15: nothing is lost, whatever the path, the node or the cache says. One test per class,
 * each checking the exit code, the single stderr line and that the directory (and the scraper
 * config, the data dir) is byte-identical where nothing may be written; real symlinks, hard links,
 * FIFOs, sockets and (as root) a device node; a lying node played by the RPC proxy.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { numberToHex, padHex, parseEther, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registrationKeysOf } from "../../src/core/keys/registration.js";
import { decryptEthKeystore } from "../../src/core/keys/eth-keystore.js";
import { ethKeystoreSchema } from "../../src/types/keystore.js";
import { keystorePasswords } from "../../src/core/keys/keystore-passwords.js";
import { openKeystoreDirStore } from "../../src/core/keys/secret-stores/keystore-dir.js";
import {
  generatedValidatorKeys,
  stakeWithProvider,
  validRegistrationTuples,
  type StakedKey,
} from "../support/aztec-l1.js";
import { addKeysToProviderQueue, aztecOf, fundAccounts, rpc } from "../support/test-chain.js";
import { projectRoot, runCli, runInProcess, type CliResult } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, tempDir } from "../support/files.js";
import { expectRefusal, recordDirs, type Refusal } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { forgedStakedLog, startRpcProxy, type RpcProxy } from "../support/rpc-proxy.js";

const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const PROD = "prod-testnet-keyfile.json";
const PUBS = "testnet_available_publisher_addresses.json";
const KEYS = "new-private-keys.json";
const ZERO_FEE_RECIPIENT = `0x${"0".repeat(64)}`;
const compress = ({ x, y }: { x: bigint; y: bigint }) =>
  `0x${(((y & 1n) << 255n) | x).toString(16).padStart(64, "0")}`;

let net: RegistryChain;
let proxy: RpcProxy;
/** One attester staked with the provider: its StakedWithProvider event is real. */
let staked: StakedKey;
const stakedKeys = generatedValidatorKeys(1, "nothing-lost");
/** The block status and fill-coinbases read events from (the chain's first own block). */
let fromBlock: bigint;

beforeAll(async () => {
  net = await startRegistryChain();
  const publishers = JSON.parse(readFileSync(join(phase2, PUBS), "utf8")) as Address[];
  await fundAccounts(net.chain, publishers, parseEther("10"));
  fromBlock = await net.chain.publicClient.getBlockNumber();
  await addKeysToProviderQueue(
    net.chain,
    net.registry,
    net.providerId,
    await validRegistrationTuples(net.chain, stakedKeys),
  );
  [staked] = (await stakeWithProvider(net.chain, { providerId: net.providerId, count: 1 })) as [
    StakedKey,
  ];
  // More blocks than the re-read window: the event cache keeps blocks up to head - 64.
  await rpc(net.chain, "anvil_mine", [numberToHex(80)]);
  proxy = await startRpcProxy(net.chain.rpcUrl);
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await net?.stop();
});
beforeEach(() => {
  proxy.setMode({ kind: "forward" });
  proxy.resetStats();
});

/** A workspace: a copy of a phase, its own data dir (scraper config, event cache), the env. */
function workspace(source = phase1) {
  const dir = copyToTemp(source);
  const data = tempDir("butler-data-");
  const scraperPath = join(data, "aztec-butler", "testnet-scrape-config.json");
  const env = { ...net.env, ETHEREUM_NODE_URL: proxy.url, XDG_DATA_HOME: data };
  return {
    dir,
    data,
    scraperPath,
    env,
    run: (args: string[], extra: Record<string, string | undefined> = {}) =>
      runInProcess(args, { cwd: dir, env: { ...env, ...extra } }),
    spawn: (args: string[], extra: Record<string, string | undefined> = {}) =>
      runCli(args, { cwd: dir, env: { ...env, ...extra } }),
    unchanged: () => recordDirs(dir, data),
  };
}
type Workspace = ReturnType<typeof workspace>;

/** The production key file of the staked attester, without a coinbase (the deployed file). */
function stakedProductionFile(ws: Workspace, name = "prod.json", coinbase?: string): string {
  const [k] = stakedKeys as [{ eth: Hex; bls: Hex }];
  const content = {
    schemaVersion: 1,
    remoteSigner: "http://web3signer.example:9000",
    validators: [
      {
        attester: { eth: privateKeyToAddress(k.eth), bls: compress(registrationKeysOf(k).bls.g1) },
        publisher: "0xe9B180925b48fa3dE2a7F887E1F32f666be0d003",
        ...(coinbase ? { coinbase } : {}),
        feeRecipient: ZERO_FEE_RECIPIENT,
      },
    ],
  };
  writeFileSync(join(ws.dir, name), `${JSON.stringify(content, null, 2)}\n`);
  return name;
}

function writeScraperConfig(ws: Workspace, fields: Record<string, unknown> = {}): void {
  mkdirSync(join(ws.data, "aztec-butler"), { recursive: true });
  writeFileSync(
    ws.scraperPath,
    `${JSON.stringify(
      {
        network: "testnet",
        l1ChainId: net.chain.chainId,
        stakingProviderId: String(net.providerId),
        stakingProviderAdmin: net.admin,
        attesters: [
          {
            address: staked.attester,
            coinbase: "0x0000000000000000000000000000000000000000",
            publisher: "0xe9B180925b48fa3dE2a7F887E1F32f666be0d003",
          },
        ],
        lastUpdated: "2026-01-01T00:00:00.000Z",
        version: "1.0",
        ...fields,
      },
      null,
      2,
    )}\n`,
  );
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const noChainWork = () => expect(proxy.stats.httpRequests).toBe(0);

describe("an output is never an input, under any name (exit 64, before any chain work, even with --force)", () => {
  it("process-private-keys -o self/keys.json --force, self a symlink to '.': refused, the private keys kept", async () => {
    const ws = workspace();
    symlinkSync(".", join(ws.dir, "self"));
    const unchanged = ws.unchanged();
    const run = await ws.spawn(["process-private-keys", KEYS, "-o", `self/${KEYS}`, "--force"]);
    expectRefusal(run, {
      code: 64,
      error:
        `self/${KEYS}: is the input file ${KEYS} under another name (the same file: a symlink, a hard ` +
        "link or another path to it); an output never replaces an input, even with --force: choose another --output",
      unchanged,
    });
    noChainWork();
  });

  const cases: {
    name: string;
    prepare: (ws: Workspace) => void;
    args: (ws: Workspace) => string[];
    /** The refusal: its class, code and file; what its line must name (the input it would replace). */
    thrown: (ws: Workspace) => NonNullable<Refusal["thrown"]>;
    naming: readonly string[];
    source?: string;
  }[] = [
    {
      name: "process-private-keys -o sub/../keys.json (a path through another folder)",
      prepare: (ws) => mkdirSync(join(ws.dir, "sub")),
      args: () => ["process-private-keys", KEYS, "-o", `sub/../${KEYS}`, "--force"],
      thrown: () => ({ name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: `sub/../${KEYS}` }),
      naming: [KEYS],
    },
    {
      name: "add-keys -o a hard link of the private-key file",
      prepare: (ws) => linkSync(join(ws.dir, KEYS), join(ws.dir, "calldata.json")),
      args: () => ["add-keys", KEYS, "-o", "calldata.json", "--force"],
      thrown: () => ({ name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "calldata.json" }),
      naming: [KEYS],
    },
    {
      name: "add-keys --safe-tx-builder whose file is a hard link of the private-key file",
      prepare: (ws) => linkSync(join(ws.dir, KEYS), join(ws.dir, "safe-1-of-1.json")),
      args: () => ["add-keys", KEYS, "--safe-tx-builder", "safe", "--force"],
      thrown: () => ({ name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "safe-1-of-1.json" }),
      naming: [KEYS],
    },
    {
      name: "process-private-keys --password-file given as -o",
      prepare: (ws) => writeFileSync(join(ws.dir, "pw.txt"), "secret\n"),
      args: () => [
        "process-private-keys",
        KEYS,
        "-o",
        "./pw.txt",
        "--password-file",
        "pw.txt",
        "--force",
      ],
      thrown: () => ({ name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "./pw.txt" }),
      naming: ["pw.txt"],
    },
    {
      name: "prepare-deployment -o linked/<production file>, linked a symlinked folder",
      source: phase2,
      prepare: (ws) => symlinkSync(ws.dir, join(ws.dir, "linked")),
      args: () => [
        "prepare-deployment",
        PROD,
        PUBS,
        "--new-public-keys",
        "new-public-keys.json",
        "-o",
        `linked/${PROD}`,
      ],
      thrown: () => ({ name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: `linked/${PROD}` }),
      naming: [PROD],
    },
    {
      name: "fill-coinbases -o the scraper config",
      prepare: (ws) => {
        stakedProductionFile(ws);
        writeScraperConfig(ws);
      },
      args: (ws) => ["fill-coinbases", "prod.json", "-o", ws.scraperPath],
      thrown: (ws) => ({ name: "UsageError", code: "OUTPUT_GIVEN_TWICE", file: ws.scraperPath }),
      naming: [],
    },
    {
      name: "process-private-keys -o a file in the keystore directory's eth/ (keystore-dir)",
      prepare: (ws) => {
        for (const d of ["store", "store/eth", "store/bls"])
          mkdirSync(join(ws.dir, d), { mode: 0o700 });
        chmodSync(join(ws.dir, "store"), 0o700);
        writeFileSync(join(ws.dir, "pw.txt"), "a password\n");
      },
      args: () => [
        "process-private-keys",
        KEYS,
        "--secret-store",
        "keystore-dir:store",
        "--password-file",
        "pw.txt",
        "-o",
        "store/eth/public.json",
        "--force",
      ],
      thrown: () => ({
        name: "UsageError",
        code: "OUTPUT_IS_A_STORE_FILE",
        file: "store/eth/public.json",
      }),
      naming: ["store"],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: refused, nothing written`, async () => {
      const ws = workspace(c.source);
      c.prepare(ws);
      const unchanged = ws.unchanged();
      proxy.resetStats();
      const refusal = { code: 64, thrown: c.thrown(ws), naming: c.naming, unchanged };
      expectRefusal(await ws.run(c.args(ws)), refusal);
      noChainWork();
    });
  }
});

describe("an existing target that is not a regular file is refused, with or without --force (exit 73)", () => {
  it("process-private-keys -o a FIFO --force: refused naming it, the FIFO still a FIFO", async () => {
    const ws = workspace();
    execFileSync("mkfifo", [join(ws.dir, "pipe")]);
    const unchanged = ws.unchanged();
    const run = await ws.spawn(["process-private-keys", KEYS, "-o", "pipe", "--force"]);
    expectRefusal(run, {
      code: 73,
      error:
        "pipe: is a named pipe (FIFO), not a regular file; refusing to replace it (with or without --force)",
      unchanged,
    });
    expect(lstatSync(join(ws.dir, "pipe")).isFIFO()).toBe(true);
    noChainWork();
  });

  it("a character device (mknod, as root): refused, still a device", async (ctx) => {
    if (process.getuid?.() !== 0) {
      const reason = "skipping the device-node case: mknod needs root";
      console.log(reason);
      ctx.skip();
      return;
    }
    const ws = workspace();
    execFileSync("mknod", [join(ws.dir, "null"), "c", "1", "3"]);
    const unchanged = ws.unchanged();
    expectRefusal(await ws.run(["process-private-keys", KEYS, "-o", "null", "--force"]), {
      code: 73,
      thrown: { name: "OutputError", code: "NOT_A_REGULAR_FILE", file: "null" },
      unchanged,
    });
    expect(lstatSync(join(ws.dir, "null")).isCharacterDevice()).toBe(true);
  });

  it("a socket, a FIFO without --force, a directory, add-keys' Safe file and the scraper config: refused before any chain work", async () => {
    const ws = workspace();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(ws.dir, "sock"), resolve));
    try {
      execFileSync("mkfifo", [join(ws.dir, "pipe"), join(ws.dir, "safe-1-of-2.json")]);
      mkdirSync(join(ws.dir, "folder"));
      const refusals: [string[], string][] = [
        [["process-private-keys", KEYS, "-o", "sock", "--force"], "sock: is a socket"],
        [["process-private-keys", KEYS, "-o", "pipe"], "pipe: is a named pipe (FIFO)"],
        [["add-keys", KEYS, "-o", "folder", "--force"], "folder: is a directory"],
        [
          ["add-keys", KEYS, "--safe-tx-builder", "safe", "--force"],
          "safe-1-of-2.json: is a named pipe (FIFO)",
        ],
      ];
      for (const [args, error] of refusals) {
        const unchanged = ws.unchanged();
        proxy.resetStats();
        const [file, kind] = error.split(": is ");
        expectRefusal(await ws.run(args), {
          code: 73,
          thrown: { name: "OutputError", code: "NOT_A_REGULAR_FILE", file },
          // What the file is, whatever the wording around it.
          naming: [kind!],
          unchanged,
        });
        noChainWork();
      }
      // The scraper config a FIFO: fill-coinbases refuses before reading the chain (or the FIFO).
      stakedProductionFile(ws);
      mkdirSync(join(ws.data, "aztec-butler"));
      execFileSync("mkfifo", [ws.scraperPath]);
      const unchanged = ws.unchanged();
      proxy.resetStats();
      expectRefusal(await ws.run(["fill-coinbases", "prod.json"]), {
        code: 73,
        thrown: { name: "OutputError", code: "NOT_A_REGULAR_FILE" },
        unchanged,
      });
      noChainWork();
    } finally {
      server.close();
    }
  });
});

describe("a missing output directory is found before any chain work (exit 73)", () => {
  it("add-keys --safe-tx-builder and -o, process-private-keys -o in a directory that does not exist", async () => {
    const ws = workspace();
    for (const args of [
      ["add-keys", KEYS, "--safe-tx-builder", "missing/add-keys"],
      ["add-keys", KEYS, "-o", "missing/calldata.json"],
      ["process-private-keys", KEYS, "-o", "missing/public.json"],
    ]) {
      const unchanged = ws.unchanged();
      proxy.resetStats();
      expectRefusal(await ws.run(args), {
        code: 73,
        thrown: { name: "OutputError", code: "NO_DIRECTORY" },
        unchanged,
      });
      noChainWork();
    }
  });
});

describe("every eth_getLogs log is checked against its query before it is believed or cached (exit 69)", () => {
  it("a forged log of another provider, one before the range, another contract's, undecodable fields: refused, no cache, no .new", async () => {
    type Log = Record<string, unknown> & { topics: string[] };
    const faults: [string, (log: Log, query: { fromBlock: string }) => void, RegExp][] = [
      [
        "another provider's",
        (log) => (log.topics[1] = padHex("0x7", { size: 32 })),
        /another provider's \(topic 1 0x0+7, asked for 0x0+\d+\)/,
      ],
      [
        "before the range",
        (log, query) => (log.blockNumber = numberToHex(BigInt(query.fromBlock) - 1n)),
        /block \d+, outside the blocks \d+\.\.\d+ asked for/,
      ],
      [
        "another contract's",
        (log) => (log.address = "0x00000000000000000000000000000000000000cc"),
        /another contract's \(0x0+cc\)/,
      ],
      [
        "blockNumber 0xzz",
        (log) => (log.blockNumber = "0xzz"),
        /its blockNumber "0xzz" is not a hex quantity/,
      ],
      [
        "blockNumber null",
        (log) => (log.blockNumber = null),
        /its blockNumber null is not a hex quantity/,
      ],
      ["no logIndex", (log) => delete log.logIndex, /its logIndex is missing/],
    ];
    for (const [, forge, detail] of faults) {
      const ws = workspace();
      stakedProductionFile(ws);
      const unchanged = ws.unchanged();
      proxy.setMode({
        kind: "logs",
        rewrite: (logs, query) => {
          const log = forgedStakedLog(query, {
            attester: staked.attester,
            coinbase: "0x0000000000000000000000000000000000000bad",
          }) as Log;
          forge(log, query);
          return [...logs, log];
        },
      });
      for (const command of ["status", "fill-coinbases"]) {
        const run = await ws.run([command, "prod.json", "--from-block", String(fromBlock)]);
        expectRefusal(run, {
          code: 69,
          thrown: { name: "RpcUnavailableError", code: "UNTRUSTED_LOG" },
          // Refused for the forgery made, not for another reason: its words are the detail.
          error: [detail],
          unchanged,
        });
      }
    }
  });

  it("the event cache is checked on every read: a damaged entry, another fork's last block, another chain: rebuilt with a warning, the real split kept", async () => {
    const ws = workspace();
    stakedProductionFile(ws);
    const status = () =>
      ws.run(["status", "prod.json", "--json", "--from-block", String(fromBlock)]);
    const first = await status();
    expect(first.code, first.stderr).toBe(3); // in the entry queue without a coinbase
    const cacheFile = join(
      ws.data,
      "aztec-butler",
      `testnet-staked-events-${net.registry.toLowerCase()}-${net.providerId}.json`,
    );
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as {
      lastBlock: string | null;
      lastBlockHash: string | null;
      chainId: number;
      events: { attester: string; coinbase: string }[];
    };
    expect(cache.lastBlock).not.toBeNull();
    expect(cache.events.map((e) => e.coinbase)).toEqual([staked.coinbaseSplit.toLowerCase()]);
    const split = (run: CliResult) =>
      (JSON.parse(run.stdout) as { attesters: { coinbase: { chain: string | null } }[] })
        .attesters[0]!.coinbase.chain;
    const damaged: [string, unknown, RegExp][] = [
      [
        'a coinbase of "garbage"',
        { ...cache, events: [{ ...cache.events[0], coinbase: "garbage" }] },
        /does not hold what it should \(.*events\.0\.coinbase\)/,
      ],
      [
        "another fork's last block (and a fake event)",
        {
          ...cache,
          lastBlockHash: `0x${"ab".repeat(32)}`,
          events: [{ ...cache.events[0], coinbase: "0x0000000000000000000000000000000000000bad" }],
        },
        /ends at block \d+ \(0x(ab)+\), which is not on the node's chain \(a reorg deeper than the blocks read again, or a cache from another fork\)/,
      ],
      ["another chain", { ...cache, chainId: 1 }, /is for chain 1/],
    ];
    for (const [, content, warning] of damaged) {
      writeFileSync(cacheFile, `${JSON.stringify(content, null, 2)}\n`);
      const run = await status();
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(
        new RegExp(
          `^warning: the event cache ${escape(cacheFile)} ${warning.source}; rebuilt from block ${fromBlock}\\n`,
        ),
      );
      expect(split(run)).toBe(staked.coinbaseSplit);
      const rebuilt = JSON.parse(readFileSync(cacheFile, "utf8")) as typeof cache;
      expect(rebuilt).toEqual(cache);
    }
  });

  it("--from-block past the head: refused (exit 64), never the cache's start block", async () => {
    const ws = workspace();
    stakedProductionFile(ws);
    const head = await net.chain.publicClient.getBlockNumber();
    const unchanged = ws.unchanged();
    for (const command of ["status", "fill-coinbases"]) {
      expectRefusal(await ws.run([command, "prod.json", "--from-block", String(head + 1000n)]), {
        code: 64,
        thrown: { name: "UsageError", code: "FROM_BLOCK_PAST_LATEST", field: "--from-block" },
        unchanged,
      });
    }
    // A later run still sees the event.
    const run = await ws.run(["status", "prod.json", "--json", "--from-block", String(fromBlock)]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain(staked.coinbaseSplit);
  });
});

describe("eth_estimateGas answers are checked for plausibility (exit 69)", () => {
  it("an estimate of 0 or 1 gas for add-keys: refused naming eth_estimateGas, nothing printed or written", async () => {
    const ws = workspace();
    for (const result of ["0x0", "0x1"]) {
      const unchanged = ws.unchanged();
      proxy.setMode({ kind: "result", method: "eth_estimateGas", result });
      expectRefusal(
        await ws.run(["add-keys", KEYS, "-o", "calldata.json", "--safe-tx-builder", "safe"], {
          AZTEC_GSE_ADDRESS: aztecOf(net.chain).gse,
        }),
        {
          code: 69,
          thrown: { name: "RpcUnavailableError", code: "IMPLAUSIBLE_ESTIMATE" },
          unchanged,
        },
      );
    }
  });
});

describe("every scraper-config write checks the config's chain and provider (exit 78)", () => {
  it("status --update-scraper-config, fill-coinbases and prepare-deployment refuse a config of another chain or provider", async () => {
    const runs: [string, Record<string, unknown>, (ws: Workspace) => string[], RegExp][] = [
      [
        "status",
        { l1ChainId: 1 },
        () => ["status", "prod.json", "--update-scraper-config", "--from-block", String(fromBlock)],
        /is for chain 1 but the node is on chain 31337/,
      ],
      [
        "status",
        { stakingProviderId: "999" },
        () => ["status", "prod.json", "--update-scraper-config", "--from-block", String(fromBlock)],
        /is for staking provider 999 but the configuration's provider is \d+/,
      ],
      [
        "fill-coinbases",
        { stakingProviderId: "999" },
        () => ["fill-coinbases", "prod.json", "--from-block", String(fromBlock)],
        /is for staking provider 999/,
      ],
      [
        "prepare-deployment",
        { stakingProviderId: "999" },
        () => ["prepare-deployment", PROD, PUBS, "--new-public-keys", "new-public-keys.json"],
        /is for staking provider 999/,
      ],
    ];
    for (const [, fields, args, detail] of runs) {
      const ws = workspace(phase2);
      stakedProductionFile(ws);
      writeScraperConfig(ws, fields);
      const before = readFileSync(ws.scraperPath, "utf8");
      const run = await ws.run(args(ws));
      expect(run.code, run.stderr).toBe(78);
      const errors = run.stderr
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("error: "));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(`^error: scraper config ${escape(ws.scraperPath)} ${detail.source}`),
      );
      expect(readFileSync(ws.scraperPath, "utf8")).toBe(before);
      expect(existsSync(join(ws.dir, "prod.json.new"))).toBe(false);
      expect(existsSync(join(ws.dir, `${PROD}.new`))).toBe(false);
    }
  });
});

describe("crash recovery survives other commands", () => {
  it("prepare-deployment killed after placing its key file, then status and fill-coinbases, then prepare-deployment: the journal is completed", async () => {
    const ws = workspace(phase2);
    const prepare = ["prepare-deployment", PROD, PUBS, "--new-public-keys", "new-public-keys.json"];
    const killed = await ws.spawn(prepare, { AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING: "1" });
    expect(killed.code).toBeNull(); // SIGKILL
    expect(existsSync(`${ws.scraperPath}.journal`)).toBe(true);
    // Both write the event cache beside the scraper config (their temp-file cleanup runs there).
    const status = await ws.run(["status", `${PROD}.new`, "--from-block", String(fromBlock)]);
    expect(status.code, status.stderr).toBe(0);
    const fill = await ws.run(["fill-coinbases", `${PROD}.new`, "--from-block", String(fromBlock)]);
    expect(fill.code, fill.stderr).toBe(0);
    expect(existsSync(`${ws.scraperPath}.journal`)).toBe(true);

    const next = await ws.spawn(prepare);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      /^warning: a previous prepare-deployment \(process \d+\) was killed while writing; completed its write of .*testnet-scrape-config\.json\n$/,
    );
    const listed = new Set(
      (
        JSON.parse(readFileSync(ws.scraperPath, "utf8")) as { attesters: { address: string }[] }
      ).attesters.map((a) => a.address.toLowerCase()),
    );
    const deployed = (
      JSON.parse(readFileSync(join(ws.dir, `${PROD}.new`), "utf8")) as {
        validators: { attester: { eth: string } }[];
      }
    ).validators;
    expect(deployed).toHaveLength(10);
    for (const v of deployed) expect(listed).toContain(v.attester.eth.toLowerCase());
    expect(existsSync(`${ws.scraperPath}.journal`)).toBe(false);
  });
});

describe("keystore directories and password files", () => {
  it("refuses <dir>/eth as a symlink and <dir>/bls open to others (exit 73), before any work", async () => {
    const ws = workspace();
    writeFileSync(join(ws.dir, "pw.txt"), "a password\n");
    mkdirSync(join(ws.dir, "store"), { mode: 0o700 });
    mkdirSync(join(ws.dir, "open"), { mode: 0o777 });
    chmodSync(join(ws.dir, "open"), 0o777);
    symlinkSync(join(ws.dir, "open"), join(ws.dir, "store", "eth"));
    const args = [
      "process-private-keys",
      KEYS,
      "--secret-store",
      "keystore-dir:store",
      "--password-file",
      "pw.txt",
    ];
    let unchanged = ws.unchanged();
    expectRefusal(await ws.run(args), {
      code: 73,
      thrown: { name: "OutputError", code: "SYMBOLIC_LINK", file: "store/eth" },
      unchanged,
    });
    noChainWork();
    execFileSync("rm", [join(ws.dir, "store", "eth")]);
    mkdirSync(join(ws.dir, "store", "bls"));
    chmodSync(join(ws.dir, "store", "bls"), 0o777);
    unchanged = ws.unchanged();
    expectRefusal(await ws.run(args), {
      code: 73,
      thrown: { name: "OutputError", code: "UNSAFE_PERMISSIONS", file: "store/bls" },
      naming: ["chmod 700 store/bls"],
      unchanged,
    });
  });

  it('one rule for password files: a keystore-password.txt made with `echo pw >` encrypts with "pw", and --password-file with a BOM and \\r\\n is the same password', async () => {
    const ws = workspace();
    const oneValidator = JSON.parse(readFileSync(join(ws.dir, KEYS), "utf8")) as {
      validators: unknown[];
    };
    writeFileSync(
      join(ws.dir, "one.json"),
      JSON.stringify({ ...oneValidator, validators: oneValidator.validators.slice(0, 1) }),
    );
    mkdirSync(join(ws.dir, "store"), { mode: 0o700 });
    chmodSync(join(ws.dir, "store"), 0o700);
    writeFileSync(join(ws.dir, "store", "keystore-password.txt"), "pw\n", { mode: 0o600 });
    const first = await ws.run([
      "process-private-keys",
      "one.json",
      "--secret-store",
      "keystore-dir:store",
    ]);
    expect(first.code, first.stderr).toBe(0);
    const ethDir = join(ws.dir, "store", "eth");
    const [name] = execFileSync("ls", [ethDir])
      .toString()
      .split("\n")
      .filter((n) => n.endsWith(".json"));
    const keystore = ethKeystoreSchema.parse(JSON.parse(readFileSync(join(ethDir, name!), "utf8")));
    // Only one password opens a keystore's MAC: it is "pw", not the file's "pw\n".
    await expect(decryptEthKeystore(keystore, "pw")).resolves.toMatch(/^0x[0-9a-f]{64}$/);

    // The same password from --password-file, with a byte order mark and \r\n: the directory
    // accepts it as its own (a different one is refused, exit 78, before any work).
    writeFileSync(join(ws.dir, "pw-file.txt"), "\uFEFFpw\r\n");
    writeFileSync(join(ws.dir, "other-pw.txt"), "pw2\n");
    const open = (passwordFile: string) =>
      openKeystoreDirStore(join(ws.dir, "store"), {
        config: undefined as never,
        pool: undefined as never,
        passwords: keystorePasswords({ passwordFile: join(ws.dir, passwordFile), env: {} }),
      });
    await expect(open("pw-file.txt")).resolves.toMatchObject({ description: expect.any(String) });
    await expect(open("other-pw.txt")).rejects.toThrow(
      /is not the one in .*keystore-password\.txt/,
    );
  });
});

describe("encrypted keystores are bounded before any work (exit 65)", () => {
  const fixture = join(projectRoot, "tests", "fixtures", "aztec-encrypted");
  it("scrypt n, r, p, pbkdf2 c and dklen beyond the limits, a FIFO path, a 2 MiB file: refused at once, naming file and parameter", async () => {
    const ws = workspace();
    execFileSync("cp", ["-r", join(fixture, "keystores"), join(ws.dir, "keystores")]);
    const keyFile = JSON.parse(readFileSync(join(fixture, KEYS), "utf8")) as {
      validators: { attester: { eth: { path: string }; bls: { path: string } } }[];
    };
    const ethPath = keyFile.validators[0]!.attester.eth.path;
    const blsPath = keyFile.validators[0]!.attester.bls.path;
    const original = {
      eth: readFileSync(join(fixture, ethPath), "utf8"),
      bls: readFileSync(join(fixture, blsPath), "utf8"),
    };
    type Editable = {
      crypto: { kdfparams: Record<string, number>; kdf: { params: Record<string, number> } };
    };
    const edit = (kind: "eth" | "bls", change: (k: Editable) => void) => {
      const keystore = JSON.parse(original[kind]) as Editable;
      change(keystore);
      writeFileSync(join(ws.dir, kind === "eth" ? ethPath : blsPath), JSON.stringify(keystore));
    };
    const restore = () => {
      writeFileSync(join(ws.dir, ethPath), original.eth);
      writeFileSync(join(ws.dir, blsPath), original.bls);
    };
    writeFileSync(join(ws.dir, "encrypted.json"), JSON.stringify(keyFile));
    const cases: [string, () => void, string, string][] = [
      [
        "scrypt n",
        () => edit("eth", (k) => (k.crypto.kdfparams.n = 2 ** 20)),
        "attester.eth",
        `keystore ${ethPath} is not a supported keystore: scrypt n must be at most 2^18 (262,144) (at crypto.kdfparams.n)`,
      ],
      [
        "scrypt r",
        () => edit("eth", (k) => (k.crypto.kdfparams.r = 64)),
        "attester.eth",
        `keystore ${ethPath} is not a supported keystore: scrypt r must be at most 8 (at crypto.kdfparams.r)`,
      ],
      [
        "scrypt p",
        () => edit("eth", (k) => (k.crypto.kdfparams.p = 1024)),
        "attester.eth",
        `keystore ${ethPath} is not a supported keystore: scrypt p must be at most 16 (at crypto.kdfparams.p)`,
      ],
      [
        "dklen",
        () => edit("eth", (k) => (k.crypto.kdfparams.dklen = 64)),
        "attester.eth",
        `keystore ${ethPath} is not a supported keystore: dklen must be 32 (at crypto.kdfparams.dklen)`,
      ],
      [
        "pbkdf2 c",
        () => edit("bls", (k) => (k.crypto.kdf.params.c = 2 ** 31 - 1)),
        "attester.bls",
        `keystore ${blsPath} is not a supported keystore: pbkdf2 c must be at most 2^20 (1,048,576) (at crypto.kdf.params.c)`,
      ],
      [
        "a FIFO",
        () => {
          execFileSync("rm", [join(ws.dir, ethPath)]);
          execFileSync("mkfifo", [join(ws.dir, ethPath)]);
        },
        "attester.eth",
        `keystore ${ethPath} is a named pipe (FIFO), not a keystore file`,
      ],
      [
        "2 MiB",
        () => {
          execFileSync("rm", [join(ws.dir, ethPath)]);
          writeFileSync(join(ws.dir, ethPath), " ".repeat(2 * 1024 * 1024));
        },
        "attester.eth",
        `keystore ${ethPath} is 2097152 bytes, more than the 1 MiB a keystore can be; wrong file?`,
      ],
    ];
    for (const [, prepare, field] of cases) {
      execFileSync("rm", ["-f", join(ws.dir, ethPath)]);
      restore();
      prepare();
      const unchanged = ws.unchanged();
      // Refused at once: c = 2^31-1 would run for hours and a FIFO hang forever (the test's
      // timeout would fail it).
      expectRefusal(await ws.run(["process-private-keys", "encrypted.json"]), {
        code: 65,
        thrown: {
          name: "InputError",
          code: "KEYSTORE_UNUSABLE",
          file: "encrypted.json",
          index: 0,
          field,
        },
        unchanged,
      });
      noChainWork();
    }
  });
});
