/**
 * What the operator sees when the RPC endpoint, the configuration or the output directory lets
 * the command down: the real CLI (`process-private-keys` on the after_phase1 dev-machine files)
 * against anvil behind a scriptable proxy. Every failure must be one line without a stack trace,
 * carry its sysexits code, and leave the directory byte-identical.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { getAddress, parseEther } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ANVIL_ACCOUNTS,
  ANVIL_CHAIN_ID,
  fundAccounts,
  getFreePort,
} from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { expectRefusal as expectRefusalOf, type Refusal } from "../support/refusal.js";
import { startRpcProxy, type RpcProxy } from "../support/rpc-proxy.js";

const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const expectedPublicKeys = readFileSync(
  join(ownPhasesDir, "after_phase2", "on-dev-machine", "new-public-keys.json"),
  "utf8",
);
const OUTPUT = "public-new-private-keys.json";

let net: RegistryChain;
let proxy: RpcProxy;
beforeAll(async () => {
  net = await startRegistryChain();
  proxy = await startRpcProxy(net.chain.rpcUrl);
});
afterAll(async () => {
  await proxy?.stop();
  await net?.stop();
});
beforeEach(() => {
  proxy.setMode({ kind: "forward" });
  proxy.resetStats();
});

interface Run {
  dir: string;
  before: Record<string, string>;
  run: CliResult;
}

/**
 * process-private-keys in a fresh copy of the phase-1 files, the RPC going through the proxy;
 * in-process unless `runner` is runCli (one spawned case per exit code).
 */
async function processKeys(
  env: Record<string, string | undefined> = {},
  args: readonly string[] = [],
  dir = copyToTemp(phase1),
  runner: typeof runCli = runInProcess,
): Promise<Run> {
  const before = snapshot(dir);
  const run = await runner(["process-private-keys", "new-private-keys.json", ...args], {
    cwd: dir,
    env: { ...net.env, ETHEREUM_NODE_URL: proxy.url, ...env },
  });
  return { dir, before, run };
}

/**
 * The suite's refusal check (tests/support/refusal.ts): exit code; exactly one `error:` line,
 * the last one (what the run reported before may precede it when the failure comes late), no
 * stack trace; the directory exactly as before, without temp files.
 */
function expectRefusal(
  { dir, before, run }: Run,
  code: number,
  expected: string | RegExp | (NonNullable<Refusal["thrown"]> & Pick<Refusal, "naming">),
  stdout: "" | RegExp = "",
): void {
  const { naming, ...thrown } = typeof expected === "object" && "code" in expected ? expected : {};
  expectRefusalOf(run, {
    stdout,
    code,
    error:
      typeof expected === "string"
        ? expected.replace(/^error: /, "").replace(/\n$/, "")
        : expected instanceof RegExp
          ? expected
          : undefined,
    thrown: "code" in thrown ? (thrown as Refusal["thrown"]) : undefined,
    naming,
    unchanged: { dirs: [dir], before: [before] },
    linesBefore: true,
  });
}

function expectSuccess({ dir, run }: Run): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  expect(run.stdout).toContain(`wrote ${OUTPUT} (6 validators)`);
  expect(readFileSync(join(dir, OUTPUT), "utf8")).toBe(expectedPublicKeys);
  expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
}

describe("the rpc proxy itself", () => {
  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(proxy.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });

  it("counts HTTP requests and JSON-RPC calls (a batch counts each call) and forwards them", async () => {
    const answer = await post([
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 2, method: "eth_blockNumber", params: [] },
      { jsonrpc: "2.0", id: 3, method: "eth_chainId", params: [] },
    ]);
    expect(((await answer.json()) as { result: string }[]).map((a) => a.result)[0]).toBe(
      `0x${ANVIL_CHAIN_ID.toString(16)}`,
    );
    await (await post({ jsonrpc: "2.0", id: 4, method: "eth_blockNumber", params: [] })).json();
    expect(proxy.stats).toMatchObject({
      httpRequests: 2,
      rpcCalls: 4,
      methods: { eth_chainId: 2, eth_blockNumber: 2 },
    });
  });

  it("rewrites eth_chainId answers, batched or not, and nothing else", async () => {
    proxy.setMode({ kind: "chain-id", chainId: 11155111 });
    const batch = (await (
      await post([
        { jsonrpc: "2.0", id: 7, method: "eth_blockNumber", params: [] },
        { jsonrpc: "2.0", id: 8, method: "eth_chainId", params: [] },
      ])
    ).json()) as { id: number; result: string }[];
    expect(batch.find((a) => a.id === 8)?.result).toBe("0xaa36a7");
    expect(batch.find((a) => a.id === 7)?.result).not.toBe("0xaa36a7");
    const single = (await (
      await post({ jsonrpc: "2.0", id: 9, method: "eth_chainId", params: [] })
    ).json()) as { result: string };
    expect(single.result).toBe("0xaa36a7");
  });

  it("answers 429 for the first N requests only, then forwards", async () => {
    proxy.setMode({ kind: "rate-limit", first: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await post({ jsonrpc: "2.0", id: i, method: "eth_chainId", params: [] })).status,
      );
    expect(statuses).toEqual([429, 429, 200]);
    expect(proxy.stats.rateLimited).toBe(2);
  });

  it("a hung request is ended when the proxy stops", async () => {
    const own = await startRpcProxy(net.chain.rpcUrl, { mode: { kind: "hang" } });
    const pending = fetch(own.url, { method: "POST", body: "{}" }).then(
      () => "answered",
      () => "failed",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(own.stats.httpRequests).toBe(1);
    const started = Date.now();
    await own.stop();
    expect(await pending).toBe("failed");
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("an RPC endpoint that misbehaves", () => {
  it("refusing connections: exit 69, 'cannot reach … (connection refused)'", async () => {
    const port = await getFreePort();
    const result = await processKeys({ ETHEREUM_NODE_URL: `http://127.0.0.1:${port}` });
    expectRefusal(result, 69, {
      name: "RpcUnavailableError",
      code: "UNREACHABLE",
      naming: ["connection refused"],
    });
  });

  it("answering 429 twice: retried with backoff, succeeds and writes the file", async () => {
    proxy.setMode({ kind: "rate-limit", first: 2 });
    const result = await processKeys();
    expectSuccess(result);
    // The first batch (chain id, registry code, provider count) was refused twice and went out a
    // third time as one batch again: RPC_RETRIES=2 means three attempts of the same request.
    expect(proxy.stats.rateLimited).toBe(2);
    expect(proxy.stats.httpRequests).toBeGreaterThanOrEqual(5);
  });

  it("answering 429 three times: the default 2 retries are exhausted, exit 69", async () => {
    proxy.setMode({ kind: "rate-limit", first: 3 });
    const result = await processKeys();
    expectRefusal(result, 69, { name: "RpcUnavailableError", code: "RATE_LIMITED" });
    expect(proxy.stats.rateLimited).toBe(3);
  });

  it("--verbose shows what the 429 came as: viem's HttpRequestError with the status, below the one line", async () => {
    proxy.setMode({ kind: "rate-limit", first: 1 });
    const { run } = await processKeys({ RPC_RETRIES: "0" }, [], undefined, (args, options) =>
      runInProcess(["--verbose", ...args], options),
    );
    expect(run.code).toBe(69);
    expect(run.error).toMatchObject({ name: "RpcUnavailableError", code: "RATE_LIMITED" });
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`error: ${run.error!.message}`);
    expect(lines[1]).toBe("  caused by: HttpRequestError: HTTP request failed.");
    expect(lines).toContain("    Status: 429");
    expect(lines.filter((line) => line.startsWith("error: "))).toHaveLength(1);
  });

  it("answering HTML with 200: exit 69, 'answered something that is not JSON-RPC'", async () => {
    proxy.setMode({ kind: "non-json", status: 200 });
    const result = await processKeys();
    expectRefusal(result, 69, { name: "RpcUnavailableError", code: "NOT_JSON_RPC" });
  });

  it("answering HTML with 502: exit 69, 'answered HTTP 502'", async () => {
    proxy.setMode({ kind: "non-json", status: 502 });
    const result = await processKeys();
    expectRefusal(result, 69, {
      name: "RpcUnavailableError",
      code: "HTTP_ERROR",
      naming: ["HTTP 502"],
    });
  });

  it("never answering: fails after RPC_TIMEOUT_MS (1,000 ms), not once per retry, with exit 69, naming the timeout", async () => {
    proxy.setMode({ kind: "hang" });
    const result = await processKeys({ RPC_TIMEOUT_MS: "1000" });
    expectRefusal(result, 69, {
      name: "RpcUnavailableError",
      code: "TIMEOUT",
      naming: ["1000 ms", "RPC_TIMEOUT_MS"],
    });
    // One attempt: the deadline is spent when it times out.
    expect(proxy.stats.httpRequests).toBe(1);
    expect(result.run.ms).toBeGreaterThanOrEqual(1_000);
    expect(result.run.ms).toBeLessThan(1_000 + 3_000);
  });
});

describe("a configuration that does not match the chain", () => {
  it("ETHEREUM_CHAIN_ID=1 against anvil (31337): exit 78, naming both ids", async () => {
    const result = await processKeys({ ETHEREUM_CHAIN_ID: "1" });
    expectRefusal(result, 78, {
      name: "ConfigError",
      code: "WRONG_CHAIN",
      naming: ["is 1 ", `chain ${ANVIL_CHAIN_ID}`],
    });
  });

  it("a node that reports another chain than configured: exit 78, naming both ids", async () => {
    proxy.setMode({ kind: "chain-id", chainId: 11155111 });
    const result = await processKeys({ ETHEREUM_CHAIN_ID: String(ANVIL_CHAIN_ID) });
    expectRefusal(result, 78, {
      name: "ConfigError",
      code: "WRONG_CHAIN",
      naming: [`is ${ANVIL_CHAIN_ID}`, "chain 11155111"],
    });
  });

  it("a STAKING_REGISTRY_ADDRESS without code: exit 78, naming it", async () => {
    const address = "0x5eed0000000000000000000000000000c0ffee00";
    const result = await processKeys({ STAKING_REGISTRY_ADDRESS: address });
    expectRefusal(result, 78, {
      name: "ConfigError",
      code: "NO_CONTRACT_CODE",
      naming: ["STAKING_REGISTRY_ADDRESS", getAddress(address)],
    });
  });

  it("an admin address that administers no provider: exit 78, naming it", async () => {
    const admin = ANVIL_ACCOUNTS[7];
    const result = await processKeys({ AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: admin.toLowerCase() });
    expectRefusal(result, 78, { name: "ConfigError", code: "UNKNOWN_PROVIDER", naming: [admin] });
  });

  it("a provider id that does not exist: exit 78, naming it", async () => {
    const result = await processKeys({
      AZTEC_STAKING_PROVIDER_ID: "999",
      AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: undefined,
    });
    expectRefusal(result, 78, {
      name: "ConfigError",
      code: "UNKNOWN_PROVIDER",
      naming: ["AZTEC_STAKING_PROVIDER_ID 999"],
    });
  });
});

describe("an output that cannot be written", () => {
  const canWrite = (dir: string) => {
    try {
      writeFileSync(join(dir, ".write-probe"), "");
      unlinkSync(join(dir, ".write-probe"));
      return true;
    } catch {
      return false;
    }
  };

  /** chmod 0555; as root (which ignores modes) `chattr +i`, if the filesystem and caps allow it. */
  function makeReadOnly(dir: string): { how: string; undo: () => void } | undefined {
    chmodSync(dir, 0o555);
    if (!canWrite(dir)) return { how: "chmod 0555", undo: () => chmodSync(dir, 0o755) };
    chmodSync(dir, 0o755);
    try {
      execFileSync("chattr", ["+i", dir], { stdio: "ignore" });
    } catch {
      return undefined;
    }
    const undo = () => execFileSync("chattr", ["-i", dir], { stdio: "ignore" });
    if (!canWrite(dir)) return { how: "chattr +i (root ignores chmod)", undo };
    undo();
    return undefined;
  }

  it("a read-only working directory: exit 73 after every check passed, nothing written, no temp file", async (ctx) => {
    const dir = copyToTemp(phase1);
    const readOnly = makeReadOnly(dir);
    if (!readOnly) {
      const reason =
        "skipping the read-only-directory case: this user can write into a chmod 0555 directory (root) " +
        "and `chattr +i` is unavailable; the missing-directory case below covers the same write path";
      console.log(reason);
      ctx.skip(reason);
      return;
    }
    try {
      const result = await processKeys({}, [], dir);
      expectRefusal(
        result,
        73,
        { name: "OutputError", code: "WRITE_FAILED", file: "public-new-private-keys.json" },
        // The print store printed the keys before the public file could not be written.
        /^private and public keys of 6 validators/,
      );
    } finally {
      readOnly.undo();
    }
  });

  it("--output into a directory that does not exist: exit 73, nothing written", async () => {
    const result = await processKeys({}, ["--output", "missing/public.json"]);
    expectRefusal(result, 73, {
      name: "OutputError",
      code: "NO_DIRECTORY",
      file: "missing/public.json",
    });
  });

  it("--output whose parent is a file: exit 73 before touching the chain", async () => {
    const result = await processKeys({}, ["--output", "prod-testnet-keyfile.json/public.json"]);
    expectRefusal(result, 73, {
      name: "OutputError",
      code: "CANNOT_CHECK",
      file: "prod-testnet-keyfile.json/public.json",
    });
    expect(proxy.stats.httpRequests).toBe(0);
  });

  it("--output naming an existing directory: exit 73, 'is a directory'", async () => {
    const dir = copyToTemp(phase1);
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out", "keep"), "x");
    const result = await processKeys({}, ["--output", "out", "--force"], dir);
    expectRefusal(result, 73, { name: "OutputError", code: "NOT_A_REGULAR_FILE", file: "out" });
  });

  it("--output pointing at a symbolic link: exit 73, even with --force, and the link's target is untouched", async () => {
    const dir = copyToTemp(phase1);
    symlinkSync("prod-testnet-keyfile.json", join(dir, "linked.json"));
    symlinkSync("does-not-exist.json", join(dir, "dangling.json"));
    const target = readFileSync(join(dir, "prod-testnet-keyfile.json"), "utf8");
    for (const output of ["linked.json", "dangling.json"]) {
      const result = await processKeys({}, ["--output", output, "--force"], dir);
      expectRefusal(result, 73, { name: "OutputError", code: "SYMBOLIC_LINK" });
    }
    expect(readFileSync(join(dir, "prod-testnet-keyfile.json"), "utf8")).toBe(target);
    expect(readdirSync(dir)).not.toContain("does-not-exist.json");
  });
});

describe("a standard output that cannot be written", () => {
  it("process-private-keys with stdout on a full disk: exit 74, the keys count as not stored, nothing written", async () => {
    const dir = copyToTemp(phase1);
    const before = snapshot(dir);
    const run = await runCli(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...net.env, ETHEREUM_NODE_URL: proxy.url },
      stdoutTo: "/dev/full",
    });
    expect(run.code).toBe(74);
    expect(run.stderr).toMatch(
      /^error: cannot print the private keys to standard output \(ENOSPC\), which stands in for secret storage; nothing was written$/m,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(dir)).toEqual(before);
  });

  it("process-private-keys piped into a reader that goes away: exit 74 and one line naming EPIPE, no stack", async () => {
    // Whether the keys were still in the pipe's buffer when the reader left (the public-keys file
    // is then written) or not (nothing is) depends on timing; the operator is told either way.
    const dir = copyToTemp(phase1);
    const run = await runCli(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...net.env, ETHEREUM_NODE_URL: proxy.url },
      closeStdoutEarly: true,
    });
    expect(run.code).toBe(74);
    expect(run.stderr.split("\n").filter((line) => line.startsWith("error: "))).toEqual([
      expect.stringMatching(
        /^error: cannot (print the private keys to|write to) standard output \(EPIPE\)/,
      ),
    ]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("prepare-deployment with stdout on a full disk: the files are written, and exit 74 says only the report is incomplete", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase2", "on-dev-machine"));
    const publishers = JSON.parse(
      readFileSync(join(dir, "testnet_available_publisher_addresses.json"), "utf8"),
    ) as string[];
    await fundAccounts(net.chain, publishers as `0x${string}`[], parseEther("10"));
    const run = await runCli(
      [
        "prepare-deployment",
        "prod-testnet-keyfile.json",
        "testnet_available_publisher_addresses.json",
        "--new-public-keys",
        "new-public-keys.json",
      ],
      { cwd: dir, env: { ...net.env, XDG_DATA_HOME: tempDir() }, stdoutTo: "/dev/full" },
    );
    expect(run.code).toBe(74);
    expect(run.stderr).toBe(
      "error: cannot write to standard output (ENOSPC); what the command printed is incomplete (the files it wrote are complete)\n",
    );
    expect(readFileSync(join(dir, "prod-testnet-keyfile.json.new"), "utf8")).toBe(
      readFileSync(
        join(ownPhasesDir, "after_phase3", "on-dev-machine", "prod-testnet-keyfile.json.new"),
        "utf8",
      ),
    );
  });
});
