/**
 * The soak (`npm run test:soak`, not `npm test`): the randomized versions of
 * tests/faults/concurrency-and-crashes.test.ts, which proves the same properties at the tool's
 * named test points. 8 concurrent prepare-deployment runs all land in the scraper config; runs
 * SIGKILLed at random moments of 2,000-key runs leave no partial output under a real name,
 * leftovers the next run removes, and a scraper config consistent with the key files written.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAccounts } from "../support/test-chain.js";
import { cliArgv, runCli } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const PROD = "prod-testnet-keyfile.json";
const PUBS = "testnet_available_publisher_addresses.json";

interface PublicKeyFile {
  schemaVersion: 1;
  validators: { attester: { eth: string; bls: string }; feeRecipient: string }[];
}
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

/** 17 distinct new validators: after_phase2's 6 and the high-availability example's 11. */
const newValidators = [
  ...readJson<PublicKeyFile>(join(phase2, "new-public-keys.json")).validators,
  ...readJson<PublicKeyFile>(join(ownPhasesDir, "high-availability", "new-public-keys.json"))
    .validators,
];

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
  await fundAccounts(net.chain, readJson<`0x${string}`[]>(join(phase2, PUBS)), parseEther("10"));
});
afterAll(async () => {
  await net?.stop();
});

interface ScraperConfig {
  attesters: { address: string; lastSeenState?: string }[];
}

function attestersOf(path: string): string[] {
  return readJson<{ validators: { attester: { eth: string } }[] }>(path).validators.map((v) =>
    v.attester.eth.toLowerCase(),
  );
}

/** No temp file, lock or journal anywhere under these directories. */
function leftovers(...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.tmp$|\.lock$|\.lock\.break$|\.journal$/.test(entry.name)) found.push(entry.name);
    }
  };
  dirs.forEach(walk);
  return found;
}

describe("concurrent prepare-deployment runs", () => {
  it("8 runs at once, each with its own new keys: all exit 0, 8 distinct outputs, every attester of every run in the scraper config", async () => {
    const dir = copyToTemp(phase2);
    const data = tempDir("butler-data-");
    const runs = 8;
    for (let i = 0; i < runs; i++) {
      const file: PublicKeyFile = {
        schemaVersion: 1,
        validators: newValidators.slice(2 * i, 2 * i + 2),
      };
      writeFileSync(join(dir, `keys-${i}.json`), `${JSON.stringify(file, null, 2)}\n`);
    }
    const results = await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        runCli(["prepare-deployment", PROD, PUBS, "--new-public-keys", `keys-${i}.json`], {
          cwd: dir,
          env: { ...net.env, XDG_DATA_HOME: data },
          timeoutMs: 120_000,
        }),
      ),
    );
    for (const run of results)
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    const outputs = readdirSync(dir)
      .filter((n) => n.startsWith(`${PROD}.new`))
      .sort();
    expect(outputs).toHaveLength(runs);
    const scraper = readJson<ScraperConfig>(
      join(data, "aztec-butler", "testnet-scrape-config.json"),
    );
    const listed = new Set(scraper.attesters.map((a) => a.address.toLowerCase()));
    for (const output of outputs)
      for (const a of attestersOf(join(dir, output))) expect(listed).toContain(a);
    for (const v of newValidators.slice(0, 2 * runs))
      expect(listed).toContain(v.attester.eth.toLowerCase());
    // 4 production attesters + 16 new ones, each once.
    expect(scraper.attesters).toHaveLength(4 + 2 * runs);
    expect(leftovers(dir, data)).toEqual([]);
  }, 180_000);
});

/** A private-key file of `count` random validators (31 random bytes: below both curve orders). */
function privateKeyFile(count: number): string {
  const key = () => `0x00${randomBytes(31).toString("hex")}`;
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      validators: Array.from({ length: count }, () => ({
        attester: { eth: key(), bls: key() },
        publisher: key(),
        feeRecipient: `0x${"0".repeat(64)}`,
      })),
    },
    null,
    2,
  )}\n`;
}

/** Starts the CLI and SIGKILLs it after `delayMs` (or lets it finish first). */
function runKilledAfter(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
  delayMs: number,
): Promise<number | null> {
  const home = mkdtempSync(join(tmpdir(), "butler-home-"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(args), {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", ...env },
      stdio: "ignore",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("runs killed with SIGKILL at 20 points of a 2,000-key run", () => {
  it("process-private-keys and prepare-deployment: no partial output under a real name, leftovers removed by the next run, scraper config consistent", async () => {
    const dir = copyToTemp(phase2);
    const data = tempDir("butler-data-");
    const env = {
      ...net.env,
      XDG_DATA_HOME: data,
      XDG_CONFIG_HOME: join(data, "config"),
      MIN_ETH_PER_ATTESTER: "0.001",
    };
    writeFileSync(join(dir, "many-keys.json"), privateKeyFile(2000));
    const PUBLIC = "public-many-keys.json";
    const processKeys = ["process-private-keys", "many-keys.json"];

    // A complete run, for the reference output and its duration.
    const started = Date.now();
    const complete = await runCli(processKeys, { cwd: dir, env, timeoutMs: 120_000 });
    expect(complete.code).toBe(0);
    const processMs = Date.now() - started;
    const reference = readFileSync(join(dir, PUBLIC), "utf8");

    // 10 kills at random moments of a run's life; each leaves either no output or the complete
    // one. A run that finished before its kill is run again with a kill half as late, so every
    // one of the 10 is really killed mid-run (never "most of them, with luck").
    for (let i = 0; i < 10; i++) {
      const target = `killed-${i}.json`;
      let delay = Math.round(processMs * (0.05 + 0.8 * Math.random()));
      for (let tries = 0; ; tries++) {
        const code = await runKilledAfter([...processKeys, "-o", target], dir, env, delay);
        if (existsSync(join(dir, target)))
          expect(readFileSync(join(dir, target), "utf8")).toBe(reference);
        if (code === null) break;
        expect(code).toBe(0);
        expect(tries).toBeLessThan(5);
        rmSync(join(dir, target));
        delay = Math.round(delay / 2);
      }
      console.log(`process-private-keys of 2,000 keys killed after ${delay} ms`);
    }
    // The next run removes the leftovers of the killed ones (their processes are gone).
    expect(
      (await runCli([...processKeys, "-o", "after.json"], { cwd: dir, env, timeoutMs: 120_000 }))
        .code,
    ).toBe(0);
    expect(leftovers(dir)).toEqual([]);

    // prepare-deployment of the 2,000 new keys, killed at 10 points.
    const prepare = ["prepare-deployment", PROD, PUBS, "--new-public-keys", PUBLIC];
    const t0 = Date.now();
    const first = await runCli(prepare, { cwd: dir, env, timeoutMs: 120_000 });
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: "" });
    const prepareMs = Date.now() - t0;
    const expectedKeyFile = readFileSync(join(dir, `${PROD}.new`), "utf8");
    for (let i = 0; i < 10; i++) {
      let delay = Math.round(prepareMs * (0.05 + 0.8 * Math.random()));
      for (let tries = 0; ; tries++) {
        const code = await runKilledAfter(prepare, dir, env, delay);
        for (const name of readdirSync(dir).filter((n) => n.startsWith(`${PROD}.new`)))
          expect(readFileSync(join(dir, name), "utf8")).toBe(expectedKeyFile);
        const scraperPath = join(data, "aztec-butler", "testnet-scrape-config.json");
        // Valid JSON at every point (written atomically).
        expect(() => readJson(scraperPath)).not.toThrow();
        if (code === null) break;
        expect(code).toBe(0);
        expect(tries).toBeLessThan(5);
        delay = Math.round(delay / 2);
      }
      console.log(`prepare-deployment of 2,000 keys killed after ${delay} ms`);
    }
    const last = await runCli(prepare, { cwd: dir, env, timeoutMs: 120_000 });
    expect(last.code).toBe(0);
    expect(last.stderr).not.toContain("could not be completed");
    expect(leftovers(dir, data)).toEqual([]);
    const scraper = readJson<ScraperConfig>(
      join(data, "aztec-butler", "testnet-scrape-config.json"),
    );
    const listed = new Set(scraper.attesters.map((a) => a.address.toLowerCase()));
    expect(scraper.attesters).toHaveLength(4 + 2000);
    for (const name of readdirSync(dir).filter((n) => n.startsWith(`${PROD}.new`)))
      for (const a of attestersOf(join(dir, name))) expect(listed).toContain(a);
  }, 300_000);
});
