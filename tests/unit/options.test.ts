import { describe, expect, it } from "vitest";
import { blockNumberOption, positiveIntegerOption } from "../../src/cli/options.js";
import { ExitCode } from "../../src/core/errors.js";
import { runInProcess } from "../support/cli.js";
import { tempDir } from "../support/files.js";

describe("option parsers: one style, a UsageError naming the option and the value", () => {
  it("positiveIntegerOption accepts 1, 60 and refuses 0, -1, 1.5, x", () => {
    const parse = positiveIntegerOption("--max-keys-per-tx");
    expect(parse("1")).toBe(1);
    expect(parse("60")).toBe(60);
    for (const bad of ["0", "-1", "1.5", "x", ""]) {
      expect(() => parse(bad)).toThrow(
        expect.objectContaining({ name: "UsageError", code: "INVALID_OPTION_VALUE" }),
      );
    }
  });

  it("blockNumberOption accepts 0 and 19000000 as bigints and refuses -1, 0x10, 1e6, x", () => {
    const parse = blockNumberOption("--from-block");
    expect(parse("0")).toBe(0n);
    expect(parse("19000000")).toBe(19_000_000n);
    for (const bad of ["-1", "0x10", "1e6", "x", ""]) {
      expect(() => parse(bad)).toThrow(
        expect.objectContaining({
          code: "INVALID_OPTION_VALUE",
          shortMessage: expect.stringContaining(`"${bad}"`),
        }),
      );
    }
  });

  it("status and fill-coinbases refuse a bad --from-block with exit 64 and one line, before any work", async () => {
    const dir = tempDir();
    for (const args of [
      ["status", "--from-block", "soon"],
      ["fill-coinbases", "prod.json", "--from-block", "-5"],
    ]) {
      const run = await runInProcess(args, { cwd: dir, env: {} });
      expect(run.code).toBe(ExitCode.usage);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `error: --from-block must be a block number (a whole number), got "${args.at(-1)}"\n`,
      );
    }
  });
});
