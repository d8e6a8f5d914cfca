import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import {
  recordInputFiles,
  refuseOutputsThatAreInputs,
  withRunInputs,
} from "../../src/core/files/file-identity.js";
import { readInputFile } from "../../src/core/files/json-file.js";
import { tempDir } from "../support/files.js";

/** A directory with keys.json read as an input of a run, and what `body` sees in that run. */
async function inRun(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir("butler-identity-");
  writeFileSync(join(dir, "keys.json"), "{}\n");
  await withRunInputs(async () => {
    await readInputFile(join(dir, "keys.json"));
    await body(dir);
  });
}

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("refuseOutputsThatAreInputs: an output is never an input under any name", () => {
  it("the same file by a symlinked folder, `..`, a hard link or its own path: UsageError (exit 64)", async () => {
    await inRun(async (dir) => {
      symlinkSync(dir, join(dir, "self"));
      mkdirSync(join(dir, "sub"));
      linkSync(join(dir, "keys.json"), join(dir, "hard.json"));
      for (const name of ["self/keys.json", "sub/../keys.json", "hard.json", "keys.json"]) {
        const error = await refusal(refuseOutputsThatAreInputs([{ path: join(dir, name) }]));
        expect(error, name).toBeInstanceOf(UsageError);
        expect((error as UsageError).exitCode).toBe(64);
      }
      expect(await refusal(refuseOutputsThatAreInputs([{ path: join(dir, "other.json") }]))).toBe(
        undefined,
      );
    });
  });

  it("a file the run updates in place may be its own input, by its own path only", async () => {
    await inRun(async (dir) => {
      const own = join(dir, "keys.json");
      expect(await refusal(refuseOutputsThatAreInputs([{ path: own, updatesItself: true }]))).toBe(
        undefined,
      );
      symlinkSync(dir, join(dir, "self"));
      const error = await refusal(
        refuseOutputsThatAreInputs([{ path: join(dir, "self", "keys.json"), updatesItself: true }]),
      );
      expect(error).toBeInstanceOf(UsageError);
    });
  });

  it("two outputs that are one file (by their real directory and name) are refused", async () => {
    await inRun(async (dir) => {
      symlinkSync(dir, join(dir, "self"));
      const error = await refusal(
        refuseOutputsThatAreInputs([
          { path: join(dir, "a.json") },
          { path: join(dir, "self", "a.json") },
        ]),
      );
      expect((error as UsageError).shortMessage).toMatch(
        /is the same file as the output .*a\.json of this run/,
      );
    });
  });

  it("an input deleted meanwhile, or one not read in this run, is no clash; named inputs count though unread", async () => {
    await inRun(async (dir) => {
      // Its inode may be reused by a new file at once: the recorded input is gone, so no clash.
      rmSync(join(dir, "keys.json"));
      writeFileSync(join(dir, "other.json"), "new\n");
      expect(await refusal(refuseOutputsThatAreInputs([{ path: join(dir, "other.json") }]))).toBe(
        undefined,
      );
      writeFileSync(join(dir, "password.txt"), "pw\n");
      await recordInputFiles([join(dir, "password.txt"), join(dir, "missing.txt"), undefined]);
      expect(
        await refusal(refuseOutputsThatAreInputs([{ path: join(dir, "password.txt") }])),
      ).toBeInstanceOf(UsageError);
    });
    // Outside a run nothing is recorded or refused.
    const dir = tempDir("butler-identity-");
    writeFileSync(join(dir, "keys.json"), "{}\n");
    await readInputFile(join(dir, "keys.json"));
    expect(await refusal(refuseOutputsThatAreInputs([{ path: join(dir, "keys.json") }]))).toBe(
      undefined,
    );
  });
});
