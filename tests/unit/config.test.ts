import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULTS,
  NETWORK_PRESETS,
  defaultStakingRegistryOf,
  loadConfig,
  type ButlerConfig,
} from "../../src/core/config.js";
import { ConfigError, ExitCode } from "../../src/core/errors.js";
import { configKeys, type ConfigKey } from "../../src/types/config.js";
import { runCli, runInProcess } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";

// butlerPaths() (env-paths) reads XDG_CONFIG_HOME from this process: each test gets its own.
let xdg: string;
let savedXdg: string | undefined;
let cwd: string;
beforeEach(() => {
  savedXdg = process.env.XDG_CONFIG_HOME;
  xdg = tempDir("butler-xdg-");
  process.env.XDG_CONFIG_HOME = xdg;
  cwd = tempDir("butler-cwd-");
});
afterEach(() => {
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
});

const baseFile = (network: string) => join(xdg, "aztec-butler", `${network}-base.env`);

function dotenv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}
function writeBase(network: string, values: Record<string, string>): void {
  mkdirSync(join(xdg, "aztec-butler"), { recursive: true });
  writeFileSync(baseFile(network), dotenv(values));
}
function writeCwd(name: string, values: Record<string, string>): void {
  writeFileSync(join(cwd, name), dotenv(values));
}

async function configError(load: Promise<unknown> | (() => unknown)): Promise<ConfigError> {
  let error: unknown;
  try {
    if (typeof load === "function") load();
    else await load;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).exitCode).toBe(ExitCode.config);
  return error as ConfigError;
}

describe("loadConfig precedence: environment > --config > ./.env > <network>-base.env", () => {
  it("takes each key from the highest layer that sets it, and says where it came from", async () => {
    writeBase("testnet", {
      ETHEREUM_NODE_URL: "http://base:8545",
      RPC_TIMEOUT_MS: "1001",
      RPC_BATCH_SIZE: "11",
      RPC_RETRIES: "1",
    });
    writeCwd(".env", {
      RPC_TIMEOUT_MS: "2002",
      RPC_BATCH_SIZE: "22",
      RPC_RETRIES: "2",
      ETHEREUM_CHAIN_ID: "5",
    });
    writeCwd("ops.env", { RPC_BATCH_SIZE: "33", RPC_RETRIES: "3", AZTEC_STAKING_PROVIDER_ID: "7" });
    const config = await loadConfig({
      configFile: "ops.env",
      cwd,
      env: { RPC_RETRIES: "4", AZTEC_GSE_ADDRESS: "0x00000000000000000000000000000000000000aa" },
    });
    expect(config.network).toBe("testnet");
    const expected: [ConfigKey, unknown, string][] = [
      ["ETHEREUM_NODE_URL", "http://base:8545", baseFile("testnet")],
      ["RPC_TIMEOUT_MS", 2002, "./.env"],
      ["ETHEREUM_CHAIN_ID", 5, "./.env"],
      ["RPC_BATCH_SIZE", 33, "ops.env"],
      ["AZTEC_STAKING_PROVIDER_ID", 7n, "ops.env"],
      ["RPC_RETRIES", 4, "the environment"],
      ["AZTEC_GSE_ADDRESS", "0x00000000000000000000000000000000000000aa", "the environment"],
    ];
    for (const [key, value, source] of expected) {
      expect([key, config.optional(key), config.sourceOf(key)]).toEqual([key, value, source]);
    }
    expect(config.rpcOptions).toEqual({ timeoutMs: 2002, retries: 4, batchSize: 33 });
    expect(config.optional("STAKING_REGISTRY_ADDRESS")).toBeUndefined();
    expect(config.sourceOf("STAKING_REGISTRY_ADDRESS")).toBeUndefined();
  });

  it("reads --config relative to the CWD, and dotenv syntax (quotes, comments, export) in every file", async () => {
    mkdirSync(join(cwd, "conf"));
    writeFileSync(
      join(cwd, "conf", "ops.env"),
      '# operator config\nexport ETHEREUM_NODE_URL="http://quoted:8545" # inline comment\nRPC_TIMEOUT_MS=  1500  \n',
    );
    const config = await loadConfig({ configFile: "conf/ops.env", cwd, env: {} });
    expect(config.optional("ETHEREUM_NODE_URL")).toBe("http://quoted:8545");
    expect(config.optional("RPC_TIMEOUT_MS")).toBe(1500);
    expect(config.sourceOf("ETHEREUM_NODE_URL")).toBe("conf/ops.env");
  });

  it("ignores keys it does not know (and the rest of the environment)", async () => {
    const config = await loadConfig({
      cwd,
      env: { PATH: "/bin", ETHEREUM_NODE_ULR: "http://typo:1" },
    });
    expect(config.optional("ETHEREUM_NODE_URL")).toBeUndefined();
  });
});

describe("loadConfig network selection", () => {
  beforeEach(() => {
    writeBase("testnet", { ETHEREUM_NODE_URL: "http://testnet:8545" });
    writeBase("devnet", { ETHEREUM_NODE_URL: "http://devnet:8545" });
  });

  it("uses testnet-base.env when neither --network nor NETWORK is given", async () => {
    const config = await loadConfig({ cwd, env: {} });
    expect([config.network, config.optional("ETHEREUM_NODE_URL")]).toEqual([
      "testnet",
      "http://testnet:8545",
    ]);
  });

  it("--network picks <network>-base.env", async () => {
    const config = await loadConfig({ network: "devnet", cwd, env: {} });
    expect([config.network, config.optional("ETHEREUM_NODE_URL")]).toEqual([
      "devnet",
      "http://devnet:8545",
    ]);
    expect(config.sourceOf("ETHEREUM_NODE_URL")).toBe(baseFile("devnet"));
  });

  it("NETWORK from the environment picks the base file; --network wins over it", async () => {
    const fromEnv = await loadConfig({ cwd, env: { NETWORK: "devnet" } });
    expect([fromEnv.network, fromEnv.optional("ETHEREUM_NODE_URL")]).toEqual([
      "devnet",
      "http://devnet:8545",
    ]);
    const fromOption = await loadConfig({ network: "testnet", cwd, env: { NETWORK: "devnet" } });
    expect([fromOption.network, fromOption.optional("ETHEREUM_NODE_URL")]).toEqual([
      "testnet",
      "http://testnet:8545",
    ]);
  });

  it("mainnet and testnet carry Aztec's documented chain id and StakingRegistry; other names none", async () => {
    const mainnet = await loadConfig({ network: "mainnet", cwd, env: {} });
    expect([mainnet.networkPreset, mainnet.networkSource]).toEqual([
      { chainId: 1, stakingRegistry: "0x042dF8f42790d6943F41C25C2132400fd727f452" },
      "--network",
    ]);
    const testnet = await loadConfig({ cwd, env: { NETWORK: "testnet" } });
    expect([testnet.networkPreset, testnet.networkSource]).toEqual([
      { chainId: 11155111, stakingRegistry: "0xC6EcC1832c8BF6a41c927BEb4E9ec610FBeDd1C2" },
      "NETWORK (from the environment)",
    ]);
    expect((await loadConfig({ cwd, env: {} })).networkSource).toBe("the default network");
    for (const name of ["devnet", "constructor", "toString"]) {
      expect((await loadConfig({ network: name, cwd, env: {} })).networkPreset).toBeUndefined();
    }
    expect(defaultStakingRegistryOf(1)).toBe(NETWORK_PRESETS.mainnet!.stakingRegistry);
    expect(defaultStakingRegistryOf(11155111)).toBe(NETWORK_PRESETS.testnet!.stakingRegistry);
    expect(defaultStakingRegistryOf(31337)).toBeUndefined();
  });

  it("a network without a base file is fine until a key is needed", async () => {
    const config = await loadConfig({ network: "mainnet", cwd, env: {} });
    expect(config.optional("ETHEREUM_NODE_URL")).toBeUndefined();
  });

  it.each(["../testnet", "test net", "", "-x", "a/b", "näme"])(
    "refuses the network name %j, naming where it came from",
    async (name) => {
      const fromOption = await configError(loadConfig({ network: name, cwd, env: {} }));
      expect(fromOption.message).toBe(
        "--network must be letters, digits, '-' or '_' (e.g. testnet)",
      );
      const fromEnv = await configError(loadConfig({ cwd, env: { NETWORK: name } }));
      expect(fromEnv.message).toBe(
        "NETWORK (from the environment) must be letters, digits, '-' or '_' (e.g. testnet)",
      );
    },
  );
});

describe("loadConfig refuses malformed values, naming the key and where it was read", () => {
  const bad: { key: ConfigKey; value: string; reason: string }[] = [
    {
      key: "ETHEREUM_NODE_URL",
      value: "not a url",
      reason: "must be a URL, e.g. http://localhost:8545",
    },
    {
      key: "ETHEREUM_NODE_URL",
      value: "ftp://node:8545",
      reason: "must be an http:// or https:// URL",
    },
    {
      key: "ETHEREUM_NODE_URL",
      value: "ws://node:8546",
      reason: "must be an http:// or https:// URL",
    },
    {
      key: "ETHEREUM_CHAIN_ID",
      value: "0x7a69",
      reason: "must be a positive whole number (the L1 chain id, e.g. 11155111)",
    },
    {
      key: "ETHEREUM_CHAIN_ID",
      value: "0",
      reason: "must be a positive whole number (the L1 chain id, e.g. 11155111)",
    },
    {
      key: "STAKING_REGISTRY_ADDRESS",
      value: "0x1234",
      reason: "must be an address: 0x followed by 40 hex digits",
    },
    {
      key: "AZTEC_STAKING_PROVIDER_ID",
      value: "-1",
      reason: "must be a whole number (the provider id)",
    },
    {
      key: "AZTEC_STAKING_PROVIDER_ID",
      value: "1.0",
      reason: "must be a whole number (the provider id)",
    },
    {
      key: "AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS",
      value: `0x${"zz".repeat(20)}`,
      reason: "must be an address: 0x followed by 40 hex digits",
    },
    {
      key: "MIN_ETH_PER_ATTESTER",
      value: "0.1 ETH",
      reason: "must be a decimal amount of ETH, e.g. 0.1",
    },
    {
      key: "MIN_ETH_PER_ATTESTER",
      value: ".5",
      reason: "must be a decimal amount of ETH, e.g. 0.1",
    },
    {
      key: "MIN_ETH_PER_ATTESTER",
      value: "1e17",
      reason: "must be a decimal amount of ETH, e.g. 0.1",
    },
    {
      key: "MIN_ETH_PER_ATTESTER",
      value: `0.${"1".repeat(19)}`,
      reason: "must be a decimal amount of ETH, e.g. 0.1",
    },
    {
      key: "AZTEC_GSE_ADDRESS",
      value: "gse",
      reason: "must be an address: 0x followed by 40 hex digits",
    },
    {
      key: "AZTEC_ROLLUP_ADDRESS",
      value: `0x${"1".repeat(41)}`,
      reason: "must be an address: 0x followed by 40 hex digits",
    },
    {
      key: "RPC_TIMEOUT_MS",
      value: "10s",
      reason: "must be a positive whole number (milliseconds)",
    },
    { key: "RPC_TIMEOUT_MS", value: "0", reason: "must be a positive whole number (milliseconds)" },
    { key: "RPC_RETRIES", value: "-1", reason: "must be a whole number" },
    { key: "RPC_RETRIES", value: "two", reason: "must be a whole number" },
    {
      key: "RPC_BATCH_SIZE",
      value: "0",
      reason: "must be a positive whole number (JSON-RPC calls per HTTP request)",
    },
    {
      key: "RPC_BATCH_SIZE",
      value: "1.5",
      reason: "must be a positive whole number (JSON-RPC calls per HTTP request)",
    },
  ];

  it("covers every config key", () => {
    expect(new Set(bad.map((b) => b.key))).toEqual(new Set(configKeys));
  });

  it.each(bad)("$key=$value (from ./.env)", async ({ key, value, reason }) => {
    writeCwd(".env", { [key]: value });
    const config = await loadConfig({ cwd, env: {} });
    const error = await configError(() => config.optional(key));
    expect(error.message).toBe(`${key} (from ./.env) ${reason}`);
    // `require` reports the malformed value, not "not set".
    expect((await configError(() => config.require(key))).message).toBe(error.message);
  });

  it("names the base file, the --config file and the environment as sources", async () => {
    writeBase("devnet", { ETHEREUM_NODE_URL: "nope" });
    writeCwd("ops.env", { RPC_TIMEOUT_MS: "soon" });
    const config = await loadConfig({
      network: "devnet",
      configFile: "ops.env",
      cwd,
      env: { RPC_BATCH_SIZE: "-5" },
    });
    expect((await configError(() => config.optional("ETHEREUM_NODE_URL"))).message).toBe(
      `ETHEREUM_NODE_URL (from ${baseFile("devnet")}) must be a URL, e.g. http://localhost:8545`,
    );
    expect((await configError(() => config.rpcOptions)).message).toBe(
      "RPC_TIMEOUT_MS (from ops.env) must be a positive whole number (milliseconds)",
    );
    const envOnly = await loadConfig({
      cwd,
      env: { RPC_BATCH_SIZE: "-5", MIN_ETH_PER_ATTESTER: "lots" },
    });
    expect((await configError(() => envOnly.rpcOptions)).message).toBe(
      "RPC_BATCH_SIZE (from the environment) must be a positive whole number (JSON-RPC calls per HTTP request)",
    );
    expect((await configError(() => envOnly.minWeiPerAttester)).message).toBe(
      "MIN_ETH_PER_ATTESTER (from the environment) must be a decimal amount of ETH, e.g. 0.1",
    );
  });

  it("a malformed value in a lower layer is harmless when a higher layer overrides it", async () => {
    writeBase("testnet", { ETHEREUM_NODE_URL: "nope" });
    const config = await loadConfig({ cwd, env: { ETHEREUM_NODE_URL: "http://env:8545" } });
    expect(config.require("ETHEREUM_NODE_URL")).toBe("http://env:8545");
  });
});

describe("loadConfig files and unset keys", () => {
  it("refuses a --config file that does not exist, or is a directory", async () => {
    expect(
      (await configError(loadConfig({ configFile: "missing.env", cwd, env: {} }))).message,
    ).toBe("config file missing.env does not exist");
    mkdirSync(join(cwd, "dir.env"));
    expect((await configError(loadConfig({ configFile: "dir.env", cwd, env: {} }))).message).toBe(
      "config file dir.env is a directory, expected a dotenv file",
    );
  });

  it("treats a missing ./.env and a missing base file as empty", async () => {
    const config = await loadConfig({ cwd, env: {} });
    expect(config.optional("ETHEREUM_NODE_URL")).toBeUndefined();
  });

  it("require on an unset (or blank) key says why it is needed and every place to set it", async () => {
    writeCwd(".env", { STAKING_REGISTRY_ADDRESS: "   " });
    const config = await loadConfig({ network: "devnet", cwd, env: {} });
    expect(
      (await configError(() => config.require("ETHEREUM_NODE_URL", "the L1 JSON-RPC endpoint")))
        .message,
    ).toBe(
      "ETHEREUM_NODE_URL is not set (the L1 JSON-RPC endpoint); set it in the environment, a --config file, " +
        `./.env, or ${baseFile("devnet")}`,
    );
    expect((await configError(() => config.require("STAKING_REGISTRY_ADDRESS"))).message).toBe(
      "STAKING_REGISTRY_ADDRESS is not set; set it in the environment, a --config file, " +
        `./.env, or ${baseFile("devnet")}`,
    );
  });
});

describe("typed values and defaults", () => {
  const load = (env: Record<string, string>): Promise<ButlerConfig> => loadConfig({ cwd, env });

  it("minWeiPerAttester defaults to 0.1 ETH and parses decimal ETH exactly", async () => {
    expect((await load({})).minWeiPerAttester).toBe(100_000_000_000_000_000n);
    expect(DEFAULTS.MIN_ETH_PER_ATTESTER).toBe("0.1");
    const cases: [string, bigint][] = [
      ["2", 2_000_000_000_000_000_000n],
      ["1.5", 1_500_000_000_000_000_000n],
      [" 0.25 ", 250_000_000_000_000_000n],
      ["0", 0n],
      [`0.${"0".repeat(17)}1`, 1n],
      ["0.123456789012345678", 123_456_789_012_345_678n],
    ];
    for (const [text, wei] of cases) {
      expect([text, (await load({ MIN_ETH_PER_ATTESTER: text })).minWeiPerAttester]).toEqual([
        text,
        wei,
      ]);
    }
  });

  it("rpcOptions defaults to 10 s timeout, 2 retries, batches of 500", async () => {
    expect((await load({})).rpcOptions).toEqual({
      timeoutMs: DEFAULTS.RPC_TIMEOUT_MS,
      retries: DEFAULTS.RPC_RETRIES,
      batchSize: DEFAULTS.RPC_BATCH_SIZE,
    });
    expect(DEFAULTS).toMatchObject({ RPC_TIMEOUT_MS: 10_000, RPC_RETRIES: 2, RPC_BATCH_SIZE: 500 });
    expect(
      (await load({ RPC_RETRIES: "0", RPC_TIMEOUT_MS: "500", RPC_BATCH_SIZE: "1" })).rpcOptions,
    ).toEqual({
      timeoutMs: 500,
      retries: 0,
      batchSize: 1,
    });
  });

  it("parses ids and addresses", async () => {
    const config = await load({
      ETHEREUM_CHAIN_ID: "11155111",
      AZTEC_STAKING_PROVIDER_ID: "0",
      STAKING_REGISTRY_ADDRESS: "0xABCDEF0123456789ABCDEF0123456789ABCDEF01",
      AZTEC_GSE_ADDRESS: "0xc3860c45e5F0b1eF3000dbF93149756f16928ADB",
    });
    expect(config.optional("ETHEREUM_CHAIN_ID")).toBe(11155111);
    expect(config.optional("AZTEC_STAKING_PROVIDER_ID")).toBe(0n);
    expect(config.optional("STAKING_REGISTRY_ADDRESS")).toBe(
      "0xABCDEF0123456789ABCDEF0123456789ABCDEF01",
    );
    expect(config.optional("AZTEC_GSE_ADDRESS")).toBe("0xc3860c45e5F0b1eF3000dbF93149756f16928ADB");
  });

  it("refuses a mixed-case address whose checksum is wrong (a typo), naming the key", async () => {
    const config = await load({
      STAKING_REGISTRY_ADDRESS: "0xC3860c45e5F0b1eF3000dbF93149756f16928ADB",
    });
    expect(() => config.optional("STAKING_REGISTRY_ADDRESS")).toThrow(
      "STAKING_REGISTRY_ADDRESS (from the environment) has mixed-case letters that are not its EIP-55 checksum (a typo?); write it checksummed or all lowercase",
    );
  });
});

describe("the CLI's --network and --config", () => {
  it("read the network's base file and the --config file, and name them in errors (exit 78)", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
    writeBase("testnet", { ETHEREUM_NODE_URL: "http://127.0.0.1:1" });
    writeBase("devnet", { ETHEREUM_NODE_URL: "not-a-url" });
    const env = { XDG_CONFIG_HOME: xdg, AZTEC_STAKING_PROVIDER_ID: "1" };
    const before = snapshot(dir);

    const network = await runCli(
      ["--network", "devnet", "process-private-keys", "new-private-keys.json"],
      { cwd: dir, env },
    );
    expect(network.code).toBe(78);
    expect(network.stderr).toBe(
      `error: ETHEREUM_NODE_URL (from ${baseFile("devnet")}) must be a URL, e.g. http://localhost:8545\n`,
    );

    const fromEnv = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...env, NETWORK: "devnet" },
    });
    expect(fromEnv.code).toBe(78);
    expect(fromEnv.stderr).toBe(network.stderr);

    // ./.env overrides the base file, --config overrides ./.env.
    writeFileSync(join(dir, "ops.env"), "ETHEREUM_NODE_URL=ftp://node:8545\n");
    writeFileSync(join(dir, ".env"), "ETHEREUM_NODE_URL=http://127.0.0.1:1\n");
    const withConfig = snapshot(dir);
    const config = await runInProcess(
      [
        "--network",
        "devnet",
        "--config",
        "ops.env",
        "process-private-keys",
        "new-private-keys.json",
      ],
      { cwd: dir, env },
    );
    expect(config.code).toBe(78);
    expect(config.stderr).toBe(
      "error: ETHEREUM_NODE_URL (from ops.env) must be an http:// or https:// URL\n",
    );
    expect(config.stdout).toBe("");
    expect(snapshot(dir)).toEqual(withConfig);
    expect(Object.keys(withConfig).sort()).toEqual(
      [...Object.keys(before), ".env", "ops.env"].sort(),
    );
  });
});

describe("empty values", () => {
  it("an empty value in a higher layer does not hide a lower layer's value", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, ".env"), "MIN_ETH_PER_ATTESTER=0.5\n");
    const config = await loadConfig({ cwd, env: { MIN_ETH_PER_ATTESTER: "" } });
    expect(config.optional("MIN_ETH_PER_ATTESTER")).toBe("0.5");
    expect(config.sourceOf("MIN_ETH_PER_ATTESTER")).toBe("./.env");
  });
});

describe("dotenv lines that are not KEY=value", () => {
  const SECRET = "5ec2e7".repeat(10) + "abcd";
  it("are warned about by file and line number, never echoed; the good lines still count", async () => {
    writeFileSync(
      join(cwd, ".env"),
      [
        "# a comment",
        "",
        "ETHEREUM_NODE_URL=http://127.0.0.1:8545",
        SECRET,
        "RPC_RETRIES 3",
        'MULTI="first',
        "second line of a quoted value",
        'end"',
        "export RPC_TIMEOUT_MS=5000",
        `RPC_BATCH_SIZE=10\u0000${SECRET}`,
      ].join("\n"),
    );
    const config = await loadConfig({ cwd, env: {} });
    expect(config.warnings).toEqual(
      [4, 5, 10].map(
        (line) =>
          `./.env, line ${line}: not a KEY=value line, ignored (the line is not shown: it may hold a secret)`,
      ),
    );
    expect(config.warnings.join("\n")).not.toContain(SECRET.slice(0, 12));
    expect(config.require("ETHEREUM_NODE_URL")).toBe("http://127.0.0.1:8545");
    expect(config.optional("RPC_TIMEOUT_MS")).toBe(5000);
  });

  it("the CLI prints the warning on stderr and goes on", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
    writeFileSync(join(dir, "ops.env"), `${SECRET}\nETHEREUM_NODE_URL=not-a-url\n`);
    const run = await runCli(
      ["--config", "ops.env", "process-private-keys", "new-private-keys.json"],
      {
        cwd: dir,
        env: { AZTEC_STAKING_PROVIDER_ID: "1" },
      },
    );
    expect(run.code).toBe(78);
    expect(run.stderr).toBe(
      "warning: ops.env, line 1: not a KEY=value line, ignored (the line is not shown: it may hold a secret)\n" +
        "error: ETHEREUM_NODE_URL (from ops.env) must be a URL, e.g. http://localhost:8545\n",
    );
  });
});
