import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  makeDummyRegistrationTuples,
  registerProvider,
} from "../support/test-chain.js";
import { runCli, runInProcess } from "../support/cli.js";
import { expectNoPrivateKeyIn, expectRefusal, recordDirs } from "../support/refusal.js";
import { copyToTemp, ownPhasesDir, snapshot } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const SECP256K1_N = "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
const BN254_R = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");

interface KeyFile {
  validators: { attester: Record<string, unknown>; publisher: unknown; [k: string]: unknown }[];
  [k: string]: unknown;
}
const readKeyFile = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "new-private-keys.json"), "utf8")) as KeyFile;
const inputPrivateKeys = (file: KeyFile) =>
  file.validators
    .flatMap((v) => [v.attester.eth, v.attester.bls, v.publisher].flat())
    .filter((k) => typeof k === "string") as string[];

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
});
afterAll(async () => {
  await net?.stop();
});

describe("process-private-keys refuses malformed keys and writes nothing", () => {
  const cases: {
    name: string;
    mutate: (f: KeyFile) => void;
    field: RegExp;
    reason: RegExp;
    index?: number;
  }[] = [
    {
      name: "an eth key that is too short",
      mutate: (f) => (f.validators[1]!.attester.eth = "0x1234"),
      field: /attester\.eth/,
      reason: /64 hex digits/,
    },
    {
      name: "an eth key with non-hex digits",
      mutate: (f) => (f.validators[1]!.attester.eth = `0x${"zz".repeat(32)}`),
      field: /attester\.eth/,
      reason: /64 hex digits/,
    },
    {
      name: "an eth key without 0x",
      mutate: (f) =>
        (f.validators[1]!.attester.eth = (f.validators[1]!.attester.eth as string).slice(2) + "00"),
      field: /attester\.eth/,
      reason: /64 hex digits/,
    },
    {
      name: "an eth key of zero",
      mutate: (f) => (f.validators[1]!.attester.eth = `0x${"0".repeat(64)}`),
      field: /attester\.eth/,
      reason: /zero/,
    },
    {
      name: "an eth key equal to the secp256k1 order",
      mutate: (f) => (f.validators[1]!.attester.eth = SECP256K1_N),
      field: /attester\.eth/,
      reason: /secp256k1 group order/,
    },
    {
      name: "an eth key above the secp256k1 order",
      mutate: (f) => (f.validators[1]!.attester.eth = `0x${"f".repeat(64)}`),
      field: /attester\.eth/,
      reason: /secp256k1 group order/,
    },
    {
      name: "a bls key equal to the BN254 curve order",
      mutate: (f) => (f.validators[1]!.attester.bls = BN254_R),
      field: /attester\.bls/,
      reason: /BN254 scalar field order/,
    },
    {
      name: "a bls key above the BN254 order that the library would silently reduce",
      mutate: (f) =>
        (f.validators[1]!.attester.bls = `0x${(BigInt(BN254_R) + 5n).toString(16).padStart(64, "0")}`),
      field: /attester\.bls/,
      reason: /BN254 scalar field order/,
    },
    {
      name: "a bls key of zero",
      mutate: (f) => (f.validators[1]!.attester.bls = `0x${"0".repeat(64)}`),
      field: /attester\.bls/,
      reason: /zero/,
    },
    {
      name: "a bls key of 31 bytes",
      mutate: (f) => (f.validators[1]!.attester.bls = `0x${"11".repeat(31)}`),
      field: /attester\.bls/,
      reason: /64 hex digits/,
    },
    {
      name: "the same eth key twice",
      mutate: (f) => (f.validators[1]!.attester.eth = f.validators[0]!.attester.eth),
      field: /attester\.eth/,
      reason: /same private key as validator 0/,
    },
    {
      name: "the same bls key twice (different case)",
      mutate: (f) =>
        (f.validators[1]!.attester.bls = (f.validators[0]!.attester.bls as string)
          .toUpperCase()
          .replace("0X", "0x")),
      field: /attester\.bls/,
      reason: /same private key as validator 0/,
    },
    {
      name: "another validator's bls key reused as an eth key",
      mutate: (f) => (f.validators[1]!.attester.eth = f.validators[0]!.attester.bls),
      field: /attester\.eth/,
      reason: /same private key as validator 0's attester\.bls/,
    },
    {
      name: "one validator's eth and bls keys equal",
      mutate: (f) => (f.validators[1]!.attester.eth = f.validators[1]!.attester.bls),
      field: /attester\.bls/,
      reason: /same private key as validator 1's attester\.eth/,
    },
    {
      name: "a feeRecipient beyond the BN254 field modulus (the node would reject it)",
      mutate: (f) => (f.validators[1]!.feeRecipient = `0x${"f".repeat(64)}`),
      field: /feeRecipient/,
      reason: /not below the BN254 field modulus/,
    },
    {
      name: "a malformed publisher key",
      mutate: (f) => (f.validators[1]!.publisher = "0xabc"),
      field: /publisher/,
      reason: /64 hex digits/,
    },
    {
      name: "a missing bls key",
      mutate: (f) => delete f.validators[1]!.attester.bls,
      field: /attester\.bls/,
      reason: /missing/,
    },
    {
      name: "an unknown field",
      mutate: (f) => (f.validators[1]!.extra = 1),
      field: /validator 1/,
      reason: /unknown field "extra"/,
    },
  ];

  it.each(cases)("refuses $name", async ({ mutate, field, reason }) => {
    const dir = copyToTemp(phase1);
    const file = readKeyFile(dir);
    const keys = inputPrivateKeys(file);
    mutate(file);
    writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(file, null, 2));
    const before = snapshot(dir);
    const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/^error: new-private-keys\.json, validator 1[,:] /);
    expect(run.stderr).toMatch(field);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stdout).toBe("");
    expectNoPrivateKeyIn(run.stderr, [...keys, ...inputPrivateKeys(file)]);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a wrong schemaVersion and truncated JSON", async () => {
    const dir = copyToTemp(phase1);
    const text = readFileSync(join(dir, "new-private-keys.json"), "utf8");
    writeFileSync(join(dir, "v2.json"), text.replace('"schemaVersion": 1', '"schemaVersion": 2'));
    writeFileSync(join(dir, "cut.json"), text.slice(0, 300));
    const before = snapshot(dir);
    const v2 = await runInProcess(["process-private-keys", "v2.json"], { cwd: dir, env: net.env });
    expect(v2.code).toBe(65);
    expect(v2.stderr).toMatch(/^error: v2\.json, schemaVersion: must be 1/);
    const cut = await runInProcess(["process-private-keys", "cut.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(cut.code).toBe(65);
    expect(cut.stderr).toMatch(/^error: cut\.json: is not valid JSON at line \d+, column \d+/);
    expectNoPrivateKeyIn(cut.stderr, inputPrivateKeys(readKeyFile(dir)));
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("process-private-keys against the chain", () => {
  it("refuses when an attester is already in the provider's queue, naming it", async () => {
    const dir = copyToTemp(phase1);
    const expected = JSON.parse(readFileSync(join(phase2, "new-public-keys.json"), "utf8")) as {
      validators: { attester: { eth: string } }[];
    };
    const queuedAttester = expected.validators[3]!.attester.eth as `0x${string}`;
    // A provider of its own, so the other tests' queue stays empty.
    const admin = ANVIL_ACCOUNTS[3]!;
    const providerId = await registerProvider(net.chain, net.registry, admin);
    const env = { ...net.env, AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: admin };
    const [dummy] = makeDummyRegistrationTuples(1, 900);
    await addKeysToProviderQueue(net.chain, net.registry, providerId, [
      ...makeDummyRegistrationTuples(5, 500),
      { ...dummy!, attester: queuedAttester },
    ]);
    const before = snapshot(dir);
    const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env,
    });
    expect(run.code).toBe(65);
    expect(run.stderr).toContain(queuedAttester);
    expect(run.stderr).toMatch(/1 attester already in provider \d+'s queue/);
    expect(run.stdout).toBe("");
    expect(snapshot(dir)).toEqual(before);
  });

  it("fails within RPC_TIMEOUT_MS with a clear error when the node accepts connections and never answers, hiding the URL's path", async () => {
    const dir = copyToTemp(phase1);
    // A port that accepts and never answers (a refused connection would fail at once).
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const unchanged = recordDirs(dir);
      const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
        cwd: dir,
        env: {
          ...net.env,
          ETHEREUM_NODE_URL: `http://127.0.0.1:${port}/v2/secret-api-key`,
          RPC_TIMEOUT_MS: "1000",
        },
      });
      expectRefusal(run, {
        code: 69,
        thrown: { name: "RpcUnavailableError", code: "TIMEOUT" },
        unchanged,
      });
      expect(run.stderr).not.toContain("secret-api-key");
      // Within the deadline, not once per retry.
      expect(run.ms).toBeGreaterThanOrEqual(1000);
      expect(run.ms).toBeLessThan(1000 + 3000);
    } finally {
      silent.close();
    }
  });

  it("writes public-<file> by default, never overwrites it without --force, and no written file holds a private key", async () => {
    const dir = copyToTemp(phase1);
    const keys = inputPrivateKeys(readKeyFile(dir));
    const first = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(first.code).toBe(0);
    const written = readFileSync(join(dir, "public-new-private-keys.json"), "utf8");
    expect(written).toBe(readFileSync(join(phase2, "new-public-keys.json"), "utf8"));
    for (const name of readdirSync(dir).filter((n) => n !== "new-private-keys.json")) {
      expectNoPrivateKeyIn(readFileSync(join(dir, name), "utf8"), keys);
    }
    // The secret-store stand-in prints every private key (the specification asks for it).
    for (const key of keys.slice(0, 2)) expect(first.stdout).toContain(key);

    const before = snapshot(dir);
    const again = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(again.code).toBe(73);
    expect(again.stderr).toBe(
      "error: public-new-private-keys.json: already exists; refusing to overwrite it (pass --force to replace it)\n",
    );
    expect(snapshot(dir)).toEqual(before);

    // --force replaces it: a stale file is written over with the right content.
    writeFileSync(join(dir, "public-new-private-keys.json"), "stale\n");
    const forced = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "--force"],
      {
        cwd: dir,
        env: net.env,
      },
    );
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("wrote public-new-private-keys.json (6 validators)");
    expect(readFileSync(join(dir, "public-new-private-keys.json"), "utf8")).toBe(written);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses an --output that is the private-key file itself", async () => {
    const dir = copyToTemp(phase1);
    const before = snapshot(dir);
    const run = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "-o", "./new-private-keys.json", "--force"],
      { cwd: dir, env: net.env },
    );
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(
      /is the input file new-private-keys\.json itself; an output never replaces an input/,
    );
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("process-private-keys' phase timings (npm run bench's breakdown)", () => {
  const phasesOf = (stderr: string) => {
    const last = stderr.trimEnd().split("\n").at(-1)!;
    return (
      JSON.parse(last) as {
        aztecButlerTimings: {
          command: string;
          totalMs: number;
          phases: { phase: string; startMs: number; ms: number }[];
        };
      }
    ).aztecButlerTimings;
  };

  it("ends stderr with one JSON line of every phase when the bench asks, and only then", async () => {
    const dir = copyToTemp(phase1);
    const env = { ...net.env, AZTEC_BUTLER_BENCH_TIMINGS: "1" };
    const timedRun = await runCli(
      ["process-private-keys", "new-private-keys.json", "-o", "t.json"],
      {
        cwd: dir,
        env,
      },
    );
    expect(timedRun.code).toBe(0);
    const timings = phasesOf(timedRun.stderr);
    expect(timings.command).toBe("process-private-keys");
    expect(timings.phases.map((p) => p.phase).sort()).toEqual(
      [
        "modules",
        "command modules",
        "workers ready",
        "read file",
        "check file",
        "chain: block number",
        "chain: registry",
        "derivation",
        "chain: provider queue",
        "chain: GSE discovery",
        "chain: rollup status",
        "secret store",
        "render",
        "write",
      ].sort(),
    );
    for (const { startMs, ms } of timings.phases) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(startMs + ms).toBeLessThanOrEqual(timings.totalMs);
    }
    expect(timedRun.stderr.match(/aztecButlerTimings/g)).toHaveLength(1);

    const plain = await runCli(["process-private-keys", "new-private-keys.json", "-o", "p.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/aztecButlerTimings|startMs/);
    expect(readFileSync(join(dir, "p.json"), "utf8")).toBe(
      readFileSync(join(dir, "t.json"), "utf8"),
    );
  });
});
