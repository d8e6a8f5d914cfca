import { expect } from "vitest";
import type { CliResult } from "./cli.js";
import { snapshot } from "./files.js";

/** Directories recorded before a run, to prove a refusal left them byte-identical. */
export interface Unchanged {
  dirs: readonly string[];
  before: readonly Record<string, string>[];
}

/** Records `dirs` (sha256 of every file) so expectRefusal can compare them afterwards. */
export function recordDirs(...dirs: string[]): Unchanged {
  return { dirs, before: dirs.map((dir) => snapshot(dir)) };
}

/**
 * A refusal as the README promises it: the exit code; exactly one stderr line, `error: …`,
 * matching `error` (a string is the whole line after "error: "); no stack, no "internal error";
 * nothing on stdout; every recorded directory byte-identical.
 */
export function expectRefusal(
  run: CliResult,
  { code, error, unchanged }: { code: number; error: string | RegExp; unchanged?: Unchanged },
): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code, stderr: expect.any(String) });
  if (typeof error === "string") expect(run.stderr).toBe(`error: ${error}\n`);
  else expect(run.stderr).toMatch(error);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).not.toMatch(/internal error|^\s+at /m);
  expect(run.stdout).toBe("");
  if (unchanged) expect(unchanged.dirs.map((dir) => snapshot(dir))).toEqual(unchanged.before);
}

/** No private key of `keys`, with or without 0x, in any case, appears in `text`. */
export function expectNoPrivateKeyIn(text: string, keys: readonly string[]): void {
  const lower = text.toLowerCase();
  for (const key of keys) {
    const body = key.toLowerCase().replace(/^0x/, "");
    if (body.length >= 16) expect(lower).not.toContain(body);
  }
}
