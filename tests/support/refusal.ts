import { expect } from "vitest";
import type { CliResult, ThrownError } from "./cli.js";
import { snapshot } from "./files.js";

/** Directories recorded before a run, to prove a refusal left them byte-identical. */
export interface Unchanged {
  dirs: readonly string[];
  before: readonly Record<string, string>[];
}

/** Records `dirs` (sha256 of every file, hidden ones too) so expectRefusal can compare them. */
export function recordDirs(...dirs: string[]): Unchanged {
  return { dirs, before: dirs.map((dir) => snapshot(dir)) };
}

export interface Refusal {
  /** The exit code. */
  code: number;
  /**
   * The `error:` line's text: a string is the whole line after "error: "; a RegExp is matched
   * against the whole of stderr; each RegExp of a list against the error line. Only where the
   * wording is the point (one spawned test per exit code, a secret never shown): refusal lists
   * give `thrown` instead, so that rewording a message breaks no test.
   */
  error?: string | RegExp | readonly RegExp[];
  /**
   * In-process runs (runInProcess): the error the run failed with, by class name, code and, where
   * given, location (file, validator index, field); the `error:` line must be its message.
   */
  thrown?: Omit<ThrownError, "message">;
  /**
   * Facts the error line must name, whatever its wording: the ids, addresses or files it is about
   * ("naming both ids").
   */
  naming?: readonly (string | number | bigint)[];
  /**
   * What stdout holds: nothing (the default), or what a run that fails after printing its
   * result printed (a RegExp, matched against it).
   */
  stdout?: "" | RegExp;
  /** Directories recorded before the run (recordDirs): byte-identical after it, no temp file. */
  unchanged?: Unchanged;
  /**
   * A late failure: what the run reported before it failed (`derived 3 validators …`,
   * warnings) may come before the error line; none of it an `error:` line.
   */
  linesBefore?: boolean;
  /** Never in stdout or stderr: these private keys (any case, with or without 0x) and passwords. */
  secrets?: { keys?: readonly string[]; passwords?: readonly string[] };
}

/**
 * A refusal as the README promises it: the exit code; exactly one `error: …` line, the last
 * (and the only line, unless `linesBefore`), matching `error`; no stack, no "internal error";
 * nothing on stdout (unless `stdout` says what); every recorded directory byte-identical; no secret anywhere in the output.
 * The one refusal check of the suite.
 */
export function expectRefusal(
  run: CliResult,
  { code, error, thrown, naming, unchanged, linesBefore = false, secrets, stdout = "" }: Refusal,
): void {
  expect(
    error ?? thrown,
    "a refusal names its error: its text, or its class and code",
  ).toBeDefined();
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code, stderr: expect.any(String) });
  const lines = run.stderr.trimEnd().split("\n");
  const errorLine = lines.at(-1)!;
  expect(errorLine).toMatch(/^error: /);
  const before = lines.slice(0, -1);
  if (linesBefore) for (const line of before) expect(line).not.toMatch(/^error: /);
  else expect(before).toEqual([]);
  if (thrown) {
    expect(run.error, "thrown is for in-process runs (runInProcess)").toMatchObject(thrown);
    // commander's own usage errors carry their "error: " (commander prints them).
    const message = run.error!.message;
    expect(errorLine).toBe(message.startsWith("error: ") ? message : `error: ${message}`);
  }
  for (const fact of naming ?? []) expect(errorLine).toContain(String(fact));
  if (typeof error === "string") expect(errorLine).toBe(`error: ${error}`);
  else if (error instanceof RegExp) expect(run.stderr).toMatch(error);
  else if (error !== undefined) for (const pattern of error) expect(errorLine).toMatch(pattern);
  expect(run.stderr.endsWith("\n")).toBe(true);
  expect(run.stderr).not.toMatch(/internal error|^\s+at /m);
  if (stdout === "") expect(run.stdout).toBe("");
  else expect(run.stdout).toMatch(stdout);
  if (unchanged) expect(unchanged.dirs.map((dir) => snapshot(dir))).toEqual(unchanged.before);
  if (secrets?.keys) expectNoPrivateKeyIn(run.stdout + run.stderr, secrets.keys);
  for (const password of secrets?.passwords ?? []) {
    expect(password.length).toBeGreaterThan(0);
    expect(run.stdout + run.stderr).not.toContain(password);
  }
}

/**
 * No private key of `keys` appears in `text`, in any case, with or without 0x, nor zero-padded
 * to 32 bytes. A key too short to search for as a substring (a malformed one, fewer than 16
 * characters) is searched for as a whole `0x…` token, never skipped.
 */
export function expectNoPrivateKeyIn(text: string, keys: readonly string[]): void {
  const lower = text.toLowerCase();
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) {
    const body = key.toLowerCase().replace(/^0x/, "");
    expect(body.length, "an empty key cannot be searched for").toBeGreaterThan(0);
    if (body.length >= 16) expect(lower).not.toContain(body);
    else expect(lower).not.toMatch(new RegExp(`0x${escapeRegExp(body)}(?![0-9a-z])`));
    if (/^[0-9a-f]{1,64}$/.test(body)) expect(lower).not.toContain(body.padStart(64, "0"));
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
