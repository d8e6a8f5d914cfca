/**
 * Shared state is serialized and crashes leave nothing half-done, proven at the tool's named
 * test points (src/core/files/test-points.ts) rather than by timing: a run that finds the
 * scraper config's lock held waits and merges into what the holder wrote; a `.new` taken while
 * a run was writing makes it move on to `.new2`; and a run SIGKILLed at every point of a write
 * leaves no partial output under a real name, leftovers the next run removes, and a scraper
 * config consistent with the key files written. (`npm run test:soak` adds the randomized
 * versions: 8 concurrent runs, kills at random moments of 2,000-key runs.)
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAccounts } from "../support/test-chain.js";
import { runCli, runInProcess } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { killAt, leftovers, pauseAt } from "../support/test-points.js";

const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const PROD = "prod-testnet-keyfile.json";
const PUBS = "testnet_available_publisher_addresses.json";
const SCRAPER = join("aztec-butler", "testnet-scrape-config.json");

interface PublicKeyFile {
  schemaVersion: 1;
  validators: { attester: { eth: string; bls: string }; feeRecipient: string }[];
}
interface ScraperConfig {
  attesters: { address: string; lastSeenState?: string }[];
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

function attestersOf(path: string): string[] {
  return readJson<{ validators: { attester: { eth: string } }[] }>(path).validators.map((v) =>
    v.attester.eth.toLowerCase(),
  );
}

/** phase 2's files plus `keys-<i>.json`, each with 3 new validators of its own. */
function deploymentDir(files = 2): string {
  const dir = copyToTemp(phase2);
  for (let i = 0; i < files; i++) {
    const file = { schemaVersion: 1, validators: newValidators.slice(3 * i, 3 * i + 3) };
    writeFileSync(join(dir, `keys-${i}.json`), `${JSON.stringify(file, null, 2)}\n`);
  }
  return dir;
}
const prepare = (keys: string) => ["prepare-deployment", PROD, PUBS, "--new-public-keys", keys];
const keyFilesIn = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.startsWith(`${PROD}.new`))
    .sort();

/** The scraper config's attesters, which must list every attester of every key file in `dir`. */
function expectScraperCovers(data: string, dir: string): Set<string> {
  const listed = new Set(
    readJson<ScraperConfig>(join(data, SCRAPER)).attesters.map((a) => a.address.toLowerCase()),
  );
  for (const name of keyFilesIn(dir))
    for (const a of attestersOf(join(dir, name))) expect(listed).toContain(a);
  return listed;
}

describe("concurrent prepare-deployment runs, forced to meet", () => {
  it("a run that finds the scraper config locked waits for the holder, then merges into what it wrote: .new and .new2, every attester of both in the scraper config", async () => {
    const dir = deploymentDir();
    const data = tempDir("butler-data-");
    const env = { ...net.env, XDG_DATA_HOME: data };
    const holder = pauseAt("lock-acquired");
    const waiter = pauseAt("lock-busy");
    const first = runCli(prepare("keys-0.json"), { cwd: dir, env: { ...env, ...holder.env } });
    const holderPid = await holder.reached();
    expect(readFileSync(join(data, `${SCRAPER}.lock`), "utf8")).toBe(`${holderPid}\n`);
    const second = runCli(prepare("keys-1.json"), { cwd: dir, env: { ...env, ...waiter.env } });
    // The second run found the lock held by the first, which has written nothing yet.
    await waiter.reached();
    expect(keyFilesIn(dir)).toEqual([]);
    holder.release();
    const firstRun = await first;
    expect({ code: firstRun.code, stderr: firstRun.stderr }).toEqual({ code: 0, stderr: "" });
    expect(firstRun.stdout).toContain(`wrote ${PROD}.new (`);
    waiter.release();
    const secondRun = await second;
    expect({ code: secondRun.code, stderr: secondRun.stderr }).toEqual({ code: 0, stderr: "" });
    expect(secondRun.stdout).toContain(`wrote ${PROD}.new2 (`);

    expect(keyFilesIn(dir)).toEqual([`${PROD}.new`, `${PROD}.new2`]);
    expect(attestersOf(join(dir, `${PROD}.new2`))).toEqual(
      expect.arrayContaining(newValidators.slice(3, 6).map((v) => v.attester.eth.toLowerCase())),
    );
    const listed = expectScraperCovers(data, dir);
    // 4 production attesters + 3 new ones of each run, each once: no update was lost.
    for (const v of newValidators.slice(0, 6))
      expect(listed).toContain(v.attester.eth.toLowerCase());
    expect(readJson<ScraperConfig>(join(data, SCRAPER)).attesters).toHaveLength(4 + 6);
    expect(leftovers(dir, data)).toEqual([]);
  });

  it("two runs racing for .new without a shared lock (different data dirs): the one that finds .new taken when it places its file takes .new2", async () => {
    const dir = copyToTemp(phase2);
    const args = prepare("new-public-keys.json");
    const slow = pauseAt("staged");
    const loser = runCli(args, {
      cwd: dir,
      env: { ...net.env, XDG_DATA_HOME: tempDir("butler-data-"), ...slow.env },
    });
    // The loser chose .new and staged its temp files; the winner now takes .new first.
    await slow.reached();
    const winner = await runCli(args, {
      cwd: dir,
      env: { ...net.env, XDG_DATA_HOME: tempDir("butler-data-") },
    });
    expect({ code: winner.code, stderr: winner.stderr }).toEqual({ code: 0, stderr: "" });
    expect(winner.stdout).toContain(`wrote ${PROD}.new (`);
    slow.release();
    const lost = await loser;
    expect({ code: lost.code, stderr: lost.stderr }).toEqual({ code: 0, stderr: "" });
    expect(lost.stdout).toContain(`wrote ${PROD}.new2 (`);
    expect(keyFilesIn(dir)).toEqual([`${PROD}.new`, `${PROD}.new2`]);
    expect(readFileSync(join(dir, `${PROD}.new`), "utf8")).toBe(
      readFileSync(join(dir, `${PROD}.new2`), "utf8"),
    );
    expect(leftovers(dir)).toEqual([]);
  });
});

describe("process-private-keys SIGKILLed at each point of its write", () => {
  const OUTPUT = "public-new-private-keys.json";
  const expected = readFileSync(join(phase2, "new-public-keys.json"), "utf8");
  const points = [
    { point: "staged", output: false, temp: true },
    { point: "linked-1", output: true, temp: true },
    { point: "placed-1", output: true, temp: false },
  ];

  it("leaves the complete output or none, and the next run removes what the killed one left", async () => {
    const dirs = points.map(() => copyToTemp(phase1));
    const killed = await Promise.all(
      points.map(({ point }, i) =>
        runCli(["process-private-keys", "new-private-keys.json"], {
          cwd: dirs[i]!,
          env: { ...net.env, ...killAt(point) },
        }),
      ),
    );
    for (const [i, { point, output, temp }] of points.entries()) {
      const dir = dirs[i]!;
      expect({ point, code: killed[i]!.code }).toEqual({ point, code: null }); // SIGKILL
      expect({ point, output: existsSync(join(dir, OUTPUT)) }).toEqual({ point, output });
      if (output) expect(readFileSync(join(dir, OUTPUT), "utf8")).toBe(expected);
      expect({ point, leftovers: leftovers(dir) }).toEqual({
        point,
        leftovers: temp
          ? [expect.stringMatching(/^\.public-new-private-keys\.json\.\d+\.[0-9a-f]{12}\.tmp$/)]
          : [],
      });
      const next = await runInProcess(
        ["process-private-keys", "new-private-keys.json", "-o", "next.json"],
        {
          cwd: dir,
          env: net.env,
        },
      );
      expect({ point, code: next.code, stderr: next.stderr }).toEqual({
        point,
        code: 0,
        stderr: expect.any(String),
      });
      expect(readFileSync(join(dir, "next.json"), "utf8")).toBe(expected);
      expect({ point, leftovers: leftovers(dir) }).toEqual({ point, leftovers: [] });
    }
  });
});

describe("prepare-deployment SIGKILLed at each point of its write", () => {
  /**
   * For each point: what the killed run leaves (its key file in place or not, the scraper
   * config written or not, a journal), and what the next run must say about it.
   */
  const points: {
    point: string;
    keyFile: boolean;
    scraper: boolean;
    journal: boolean;
    /** What the next run completes from the journal (and says so). */
    completes: ("keyFile" | "scraper")[];
  }[] = [
    { point: "lock-acquired", keyFile: false, scraper: false, journal: false, completes: [] },
    { point: "staged", keyFile: false, scraper: false, journal: false, completes: [] },
    {
      point: "journal-written",
      keyFile: false,
      scraper: false,
      journal: true,
      completes: ["keyFile", "scraper"],
    },
    { point: "linked-1", keyFile: true, scraper: false, journal: true, completes: ["scraper"] },
    { point: "placed-1", keyFile: true, scraper: false, journal: true, completes: ["scraper"] },
    { point: "placed-2", keyFile: true, scraper: true, journal: true, completes: [] },
  ];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

  it("leaves no partial file under a real name; the next run removes the leftovers, completes the killed write from its journal, and the scraper config lists every key file's attesters", async () => {
    // The key files each run writes when nothing interrupts it.
    const reference = deploymentDir();
    const referenceData = tempDir("butler-data-");
    for (const keys of ["keys-0.json", "keys-1.json"]) {
      const run = await runInProcess(prepare(keys), {
        cwd: reference,
        env: { ...net.env, XDG_DATA_HOME: referenceData },
      });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    }
    const firstKeyFile = readFileSync(join(reference, `${PROD}.new`), "utf8");
    const secondKeyFile = readFileSync(join(reference, `${PROD}.new2`), "utf8");

    const runs = points.map(() => ({ dir: deploymentDir(), data: tempDir("butler-data-") }));
    const killed = await Promise.all(
      points.map(({ point }, i) =>
        runCli(prepare("keys-0.json"), {
          cwd: runs[i]!.dir,
          env: {
            ...net.env,
            XDG_DATA_HOME: runs[i]!.data,
            // The first kill point there was, under its own name.
            ...(point === "placed-1"
              ? { AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING: "1" }
              : killAt(point)),
          },
        }),
      ),
    );
    for (const [i, { point, keyFile, scraper, journal, completes }] of points.entries()) {
      const { dir, data } = runs[i]!;
      const scraperPath = join(data, SCRAPER);
      expect({ point, code: killed[i]!.code }).toEqual({ point, code: null }); // SIGKILL
      // Nothing partial: the key file complete or absent, the scraper config whole or absent.
      expect({ point, keyFiles: keyFilesIn(dir) }).toEqual({
        point,
        keyFiles: keyFile ? [`${PROD}.new`] : [],
      });
      if (keyFile) expect(readFileSync(join(dir, `${PROD}.new`), "utf8")).toBe(firstKeyFile);
      expect({ point, scraper: existsSync(scraperPath) }).toEqual({ point, scraper });
      if (scraper) expectScraperCovers(data, dir);
      expect({ point, journal: existsSync(`${scraperPath}.journal`) }).toEqual({ point, journal });
      expect(existsSync(`${scraperPath}.lock`)).toBe(true);

      // The next run: the stale lock broken, the journal's write completed (and said so).
      const next = await runInProcess(prepare("keys-1.json"), {
        cwd: dir,
        env: { ...net.env, XDG_DATA_HOME: data },
      });
      expect({ point, code: next.code }).toEqual({ point, code: 0 });
      const completed = completes.map((f) =>
        f === "keyFile" ? join(dir, `${PROD}.new`) : scraperPath,
      );
      expect({ point, stderr: next.stderr }).toEqual({
        point,
        stderr:
          completed.length > 0
            ? expect.stringMatching(
                new RegExp(
                  `^warning: a previous prepare-deployment \\(process \\d+\\) was killed while writing; completed its write of ${escape(completed.join(", "))}\n$`,
                ),
              )
            : "",
      });
      const written = keyFile || completes.includes("keyFile");
      expect({ point, keyFiles: keyFilesIn(dir) }).toEqual({
        point,
        keyFiles: written ? [`${PROD}.new`, `${PROD}.new2`] : [`${PROD}.new`],
      });
      expect(readFileSync(join(dir, keyFilesIn(dir).at(-1)!), "utf8")).toBe(secondKeyFile);
      if (written) expect(readFileSync(join(dir, `${PROD}.new`), "utf8")).toBe(firstKeyFile);
      const listed = expectScraperCovers(data, dir);
      expect({ point, attesters: listed.size }).toEqual({
        point,
        attesters: 4 + (written ? 6 : 3),
      });
      expect({ point, leftovers: leftovers(dir, data) }).toEqual({ point, leftovers: [] });
    }
  });
});
