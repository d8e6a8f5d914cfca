import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { journaledTempFiles } from "../../src/core/files/journal.js";
import { isProcessAlive, removeDeadProcessesTempFiles } from "../../src/core/files/safe-write.js";
import { tempDir } from "../support/files.js";

/** A pid no process has (the kernel's default maximum is 2^22). */
const DEAD_PID = 4_194_300;

const savedDataHome = process.env.XDG_DATA_HOME;
afterEach(() => {
  if (savedDataHome === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedDataHome;
});

describe("temp files an unfinished journal refers to", () => {
  it("are never removed by cleanup, in the data dir or elsewhere; the others of dead processes are", async () => {
    expect(isProcessAlive(DEAD_PID)).toBe(false);
    const data = tempDir("butler-data-");
    process.env.XDG_DATA_HOME = data;
    const dataDir = join(data, "aztec-butler");
    mkdirSync(dataDir);
    const keys = tempDir("butler-keys-");
    const journaledScraper = join(
      dataDir,
      `.testnet-scrape-config.json.${DEAD_PID}.0123456789ab.tmp`,
    );
    const journaledKeyFile = join(keys, `.prod.json.new.${DEAD_PID}.0123456789ab.tmp`);
    const leftover = join(keys, `.other.json.${DEAD_PID}.ba9876543210.tmp`);
    for (const path of [journaledScraper, journaledKeyFile, leftover]) writeFileSync(path, "x");
    writeFileSync(
      join(dataDir, "testnet-scrape-config.json.journal"),
      JSON.stringify({
        pid: DEAD_PID,
        files: [
          { path: join(keys, "prod.json.new"), temp: journaledKeyFile, overwrite: false },
          {
            path: join(dataDir, "testnet-scrape-config.json"),
            temp: journaledScraper,
            overwrite: true,
          },
        ],
      }),
    );
    expect(await journaledTempFiles()).toEqual(new Set([journaledKeyFile, journaledScraper]));
    expect(await removeDeadProcessesTempFiles(dataDir)).toEqual([]);
    expect(await removeDeadProcessesTempFiles(keys)).toEqual([
      ".other.json.4194300.ba9876543210.tmp",
    ]);
    expect(readdirSync(keys)).toEqual([".prod.json.new.4194300.0123456789ab.tmp"]);
    expect(readdirSync(dataDir).sort()).toEqual(
      [
        ".testnet-scrape-config.json.4194300.0123456789ab.tmp",
        "testnet-scrape-config.json.journal",
      ].sort(),
    );

    // A journal that cannot be read protects nothing (no run can complete it).
    writeFileSync(join(dataDir, "testnet-scrape-config.json.journal"), "{ not json");
    expect(await journaledTempFiles()).toEqual(new Set());
  });
});
