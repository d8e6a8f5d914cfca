import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withFileLock } from "../../src/core/files/file-lock.js";
import {
  isProcessAlive,
  removeDeadProcessesTempFiles,
  writeFileAtomically,
} from "../../src/core/files/safe-write.js";
import {
  checkedBatchAnswers,
  MalformedAnswerError,
  MalformedBatchError,
} from "../../src/core/chain/verified-fetch.js";
import { tempDir } from "../support/files.js";

/** The pid of a process that has exited (and so is not running). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  const pid = Number(child.stdout.toString());
  expect(isProcessAlive(pid)).toBe(false);
  return pid;
}

describe("withFileLock", () => {
  it("serializes critical sections: read-merge-write by 20 concurrent holders loses no update", async () => {
    const path = join(tempDir("butler-lock-"), "state.json");
    writeFileSync(path, "[]");
    const { readFile, writeFile } = await import("node:fs/promises");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withFileLock(path, async () => {
          const list = JSON.parse(await readFile(path, "utf8")) as number[];
          await new Promise((resolve) => setTimeout(resolve, 2));
          await writeFile(path, JSON.stringify([...list, i]));
        }),
      ),
    );
    const list = JSON.parse(await readFile(path, "utf8")) as number[];
    expect(list.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("recovers the stale lock of a process that is gone", async () => {
    const path = join(tempDir("butler-lock-"), "state.json");
    writeFileSync(`${path}.lock`, `${deadPid()}\n`);
    expect(await withFileLock(path, async () => "held")).toBe("held");
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("waits for a lock held by a live process", async () => {
    const path = join(tempDir("butler-lock-"), "state.json");
    const order: string[] = [];
    let release!: () => void;
    const first = withFileLock(path, () => {
      order.push("first in");
      return new Promise<void>((resolve) => (release = resolve)).then(() => {
        order.push("first out");
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = withFileLock(path, async () => {
      order.push("second in");
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(["first in"]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first in", "first out", "second in"]);
  });
});

describe("temp files", () => {
  it("carry the writer's pid; a dead process's leftovers are removed, a live one's and other files kept", async () => {
    const dir = tempDir("butler-temp-");
    const dead = `.out.json.${deadPid()}.0123456789ab.tmp`;
    const live = `.out.json.${process.pid}.0123456789ab.tmp`;
    for (const name of [dead, live, "out.json.new", ".notes.tmp"])
      writeFileSync(join(dir, name), "x");
    expect(await removeDeadProcessesTempFiles(dir)).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual([live, ".notes.tmp", "out.json.new"].sort());
  });

  it("removes pid-less temp files of earlier versions only once they are older than any write", async () => {
    const dir = tempDir("butler-temp-");
    const old = ".prod.json.new.0123456789ab.tmp";
    const recent = ".prod.json.new.ba9876543210.tmp";
    for (const name of [old, recent]) writeFileSync(join(dir, name), "x");
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, old), hourAgo, hourAgo);
    expect(await removeDeadProcessesTempFiles(dir)).toEqual([old]);
    expect(readdirSync(dir)).toEqual([recent]);
  });

  it("a write removes the leftovers of dead processes in its directory", async () => {
    const dir = tempDir("butler-temp-");
    const dead = `.public-keys.json.${deadPid()}.aaaaaaaaaaaa.tmp`;
    writeFileSync(join(dir, dead), '{"partial":');
    await writeFileAtomically({ path: join(dir, "public-keys.json"), content: "{}\n" });
    expect(readdirSync(dir)).toEqual(["public-keys.json"]);
  });
});

describe("checkedBatchAnswers", () => {
  const sent = [
    { id: 1, method: "eth_chainId" },
    { id: 2, method: "eth_getBalance" },
  ];
  const ok = [
    { jsonrpc: "2.0", id: 1, result: "0x7a69" },
    { jsonrpc: "2.0", id: 2, result: "0x0" },
  ];
  it("accepts one answer per id in request order, and a whole-batch error", () => {
    expect(checkedBatchAnswers(sent, ok)).toEqual(ok);
    const refusal = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "too big" } };
    expect(checkedBatchAnswers(sent, refusal)).toEqual(refusal);
    expect(checkedBatchAnswers(sent, [refusal])).toEqual([refusal]);
  });
  it.each([
    ["a duplicate", [ok[0], { ...ok[0] }], /two answers for id 1/],
    ["a missing answer", [ok[0]], /1 of 2 answers missing \(id 2\)/],
    [
      "an extra answer",
      [...ok, { jsonrpc: "2.0", id: 3, result: "0x1" }],
      /id 3, which was not asked/,
    ],
    ["answers out of order", [ok[1], ok[0]], /answers out of order/],
    ["an object instead of a list", ok[0], /one object instead of a list/],
  ])("refuses %s as a malformed batch", (_, data, message) => {
    expect(() => checkedBatchAnswers(sent, data)).toThrow(MalformedBatchError);
    expect(() => checkedBatchAnswers(sent, data)).toThrow(message);
  });
  it("refuses results that are not what their method returns", () => {
    const bad = (result: unknown) => [ok[0], { jsonrpc: "2.0", id: 2, result }];
    for (const result of ["12", "0x", "0xg1", 12, null, "0x" + "f".repeat(65)])
      expect(() => checkedBatchAnswers(sent, bad(result))).toThrow(MalformedAnswerError);
    expect(() =>
      checkedBatchAnswers([{ id: 1, method: "eth_call" }], [{ id: 1, result: "0xabc" }]),
    ).toThrow("answered eth_call with a string, not hex data");
    expect(() => checkedBatchAnswers([{ id: 1, method: "eth_call" }], [{ id: 1 }])).toThrow(
      "answered eth_call with neither a result nor an error",
    );
  });
});
