import { mkdirSync, readFileSync, readdirSync, symlinkSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { ExitCode, OutputError, UsageError } from "../../src/core/errors.js";
import {
  firstFreeSuffix,
  toJsonText,
  writeFileAtomically,
  writeFilesAtomically,
} from "../../src/core/files/safe-write.js";
import { snapshot, tempDir } from "../support/files.js";

async function writeError(run: Promise<void>): Promise<OutputError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutputError);
  expect((error as OutputError).exitCode).toBe(ExitCode.cannotCreate);
  return error as OutputError;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const tempFilesIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".tmp"));

describe("writeFilesAtomically", () => {
  it("writes several files with exactly their content and leaves no temp file", async () => {
    const dir = tempDir("butler-write-");
    mkdirSync(join(dir, "sub"));
    await writeFilesAtomically([
      { path: join(dir, "a.json"), content: toJsonText({ a: 1 }) },
      { path: join(dir, "sub", "b.json"), content: "b\n" },
      { path: join(dir, "c.txt"), content: "" },
    ]);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe('{\n  "a": 1\n}\n');
    expect(readFileSync(join(dir, "sub", "b.json"), "utf8")).toBe("b\n");
    expect(readFileSync(join(dir, "c.txt"), "utf8")).toBe("");
    expect(tempFilesIn(dir)).toEqual([]);
    expect(tempFilesIn(join(dir, "sub"))).toEqual([]);
  });

  it("when the second file cannot be staged, writes neither, names the second, and leaves no temp file", async () => {
    const dir = tempDir("butler-write-");
    writeFileSync(join(dir, "keep.json"), "{}\n");
    const before = snapshot(dir);
    const error = await writeError(
      writeFilesAtomically([
        { path: join(dir, "first.json"), content: "1\n" },
        { path: join(dir, "missing-dir", "second.json"), content: "2\n" },
      ]),
    );
    expect(error.message).toBe(
      `${join(dir, "missing-dir", "second.json")}: cannot be written (its directory does not exist); nothing was written`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("when the second file cannot be placed (the name is taken meanwhile), removes the first again", async () => {
    // Both targets pass the up-front check; another process creates the second between the check
    // and the placing (the hook plays it): the first is linked into place, the second link fails.
    const dir = tempDir("butler-write-");
    const before = snapshot(dir);
    const error = await writeError(
      writeFilesAtomically(
        [
          { path: join(dir, "first.json"), content: "1\n" },
          { path: join(dir, "out.json"), content: "2\n" },
        ],
        { beforePlacing: async () => writeFileSync(join(dir, "out.json"), "theirs\n") },
      ),
    );
    expect(error.message).toMatch(
      /out\.json: cannot be written \(a file of that name appeared meanwhile\); nothing was written$/,
    );
    expect(snapshot(dir)).toEqual({ ...before, "out.json": sha256("theirs\n") });
  });

  it("refuses the same target twice in one write (exit 64), before writing anything", async () => {
    const dir = tempDir("butler-write-");
    const error = await writeFilesAtomically([
      { path: join(dir, "out.json"), content: "1\n" },
      { path: join(dir, ".", "out.json"), content: "2\n" },
    ]).then(
      () => undefined,
      (e: unknown) => e as UsageError,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.shortMessage).toBe(
      "is the same file as another output of this run; it would be written twice",
    );
    expect(snapshot(dir)).toEqual({});
  });

  it("checks every target before writing anything", async () => {
    const dir = tempDir("butler-write-");
    writeFileSync(join(dir, "exists.json"), "old\n");
    const before = snapshot(dir);
    const error = await writeError(
      writeFilesAtomically([
        { path: join(dir, "new.json"), content: "new\n" },
        { path: join(dir, "exists.json"), content: "x\n", hint: "pass --force to replace it" },
      ]),
    );
    expect(error.message).toBe(
      `${join(dir, "exists.json")}: already exists; refusing to overwrite it (pass --force to replace it)`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses to write through a symbolic link, even with overwrite, and leaves its target untouched", async () => {
    const dir = tempDir("butler-write-");
    writeFileSync(join(dir, "target.json"), "target\n");
    symlinkSync("target.json", join(dir, "link.json"));
    symlinkSync("nowhere.json", join(dir, "dangling.json"));
    const before = snapshot(dir);
    for (const name of ["link.json", "dangling.json"]) {
      for (const overwrite of [false, true]) {
        const error = await writeError(
          writeFileAtomically({ path: join(dir, name), content: "x\n", overwrite }),
        );
        expect(error.message).toBe(
          `${join(dir, name)}: is a symbolic link; refusing to write through it`,
        );
      }
    }
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(join(dir, "target.json"), "utf8")).toBe("target\n");
    expect(readdirSync(dir)).not.toContain("nowhere.json");
  });

  it("refuses a directory as target, even with overwrite", async () => {
    const dir = tempDir("butler-write-");
    mkdirSync(join(dir, "out.json"));
    const error = await writeError(
      writeFileAtomically({ path: join(dir, "out.json"), content: "x\n", overwrite: true }),
    );
    expect(error.message).toBe(
      `${join(dir, "out.json")}: is a directory, not a regular file; refusing to replace it (with or without --force)`,
    );
  });

  it("replaces an existing file in overwrite mode, and writes the new files first", async () => {
    const dir = tempDir("butler-write-");
    writeFileSync(join(dir, "config.json"), "old\n");
    // The order in which the final names appear in the directory (inotify keeps event order).
    const placed: string[] = [];
    const watcher = watch(dir, (_event, name) => {
      if ((name === "config.json" || name === "fresh.json") && !placed.includes(name))
        placed.push(name);
    });
    try {
      await writeFilesAtomically([
        { path: join(dir, "config.json"), content: "new config\n", overwrite: true },
        { path: join(dir, "fresh.json"), content: "fresh\n" },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
    }
    expect(placed).toEqual(["fresh.json", "config.json"]);
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe("new config\n");
    expect(readFileSync(join(dir, "fresh.json"), "utf8")).toBe("fresh\n");
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it("keeps the old file in overwrite mode when a new file of the same batch fails", async () => {
    const dir = tempDir("butler-write-");
    writeFileSync(join(dir, "config.json"), "old\n");
    const before = snapshot(dir);
    await writeError(
      writeFilesAtomically(
        [
          { path: join(dir, "config.json"), content: "new config\n", overwrite: true },
          { path: join(dir, "fresh.json"), content: "1\n" },
          { path: join(dir, "taken.json"), content: "2\n" },
        ],
        { beforePlacing: async () => writeFileSync(join(dir, "taken.json"), "theirs\n") },
      ),
    );
    expect(snapshot(dir)).toEqual({ ...before, "taken.json": sha256("theirs\n") });
  });
});

describe("firstFreeSuffix", () => {
  it("is .new when free, then .new2, .new3 as those are taken", async () => {
    const dir = tempDir("butler-suffix-");
    expect(await firstFreeSuffix(dir, ["prod.json"])).toBe(".new");
    writeFileSync(join(dir, "prod.json.new"), "");
    expect(await firstFreeSuffix(dir, ["prod.json"])).toBe(".new2");
    writeFileSync(join(dir, "prod.json.new2"), "");
    expect(await firstFreeSuffix(dir, ["prod.json"])).toBe(".new3");
  });

  it("counts a symbolic link, dangling or not, and a directory as taken", async () => {
    const dir = tempDir("butler-suffix-");
    symlinkSync("nowhere", join(dir, "prod.json.new"));
    mkdirSync(join(dir, "prod.json.new2"));
    writeFileSync(join(dir, "real"), "");
    symlinkSync("real", join(dir, "prod.json.new3"));
    expect(await firstFreeSuffix(dir, ["prod.json"])).toBe(".new4");
  });

  it("picks one suffix free for every name (A_ and B_ files share it)", async () => {
    const dir = tempDir("butler-suffix-");
    writeFileSync(join(dir, "B_prod.json.new"), "");
    writeFileSync(join(dir, "A_prod.json.new2"), "");
    expect(await firstFreeSuffix(dir, ["A_prod.json", "B_prod.json"])).toBe(".new3");
    expect(await firstFreeSuffix(dir, ["C_prod.json"])).toBe(".new");
  });
});
