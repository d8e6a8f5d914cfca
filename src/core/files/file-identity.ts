/**
 * An output is never an input under another name. Every input file a run reads (through
 * readInputFile and the readers built on it: JSON files, .env files, password files, keystores) is
 * recorded by its file identity, the device and inode the kernel resolved the path to (so every
 * symlink in the path, `dir/../file` and hard links all come to the same file); every output
 * target is compared with them, and with the other outputs, before anything is written (exit 64,
 * whatever --force says). Commands call refuseOutputsThatAreInputs with their outputs before any
 * chain work; writeFilesAtomically calls it again for every write.
 *
 * The inputs are scoped to one run (AsyncLocalStorage, entered by the CLI's run()): core functions
 * called outside a run record and check nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";

interface RecordedInput {
  /** As the operator (or the file naming it) gave it. */
  path: string;
  /** Absolute, for telling "the same path" from "another name". */
  absolute: string;
  dev: number;
  ino: number;
}

const runInputs = new AsyncLocalStorage<RecordedInput[]>();

/** Runs `body` as one run of the CLI: the input files it reads are recorded for the output checks. */
export function withRunInputs<T>(body: () => Promise<T>): Promise<T> {
  return runInputs.run([], body);
}

/** Records a file the run read, with the stat of the open file it was read from. */
export function recordInputFile(path: string, info: Pick<Stats, "dev" | "ino">): void {
  const inputs = runInputs.getStore();
  if (!inputs) return;
  inputs.push({ path, absolute: resolve(path), dev: info.dev, ino: info.ino });
}

/**
 * Records files the command line names as inputs that the run may not read (a --password-file
 * no keystore needed): they are inputs all the same, never outputs. Missing ones are skipped.
 */
export async function recordInputFiles(paths: readonly (string | undefined)[]): Promise<void> {
  for (const path of paths) {
    if (path === undefined) continue;
    const info = await stat(path).catch(() => undefined);
    if (info) recordInputFile(path, info);
  }
}

export interface OutputTarget {
  path: string;
  /**
   * The target is a file this run reads and then updates in place (the scraper config, the event
   * cache): reading it through this very path is no clash; reading it under any other name is.
   */
  updatesItself?: boolean;
  /** Added to the refusal, e.g. "choose another --output". */
  hint?: string;
}

/**
 * Refuses (UsageError, exit 64) an output that is the same file as one of the run's inputs, or as
 * another of `targets`: compared by device and inode for a target that exists, and by its real
 * directory and name for two targets. A recorded input that no longer is what it was (deleted,
 * replaced) is no clash.
 */
export async function refuseOutputsThatAreInputs(targets: readonly OutputTarget[]): Promise<void> {
  const inputs = runInputs.getStore() ?? [];
  const seen = new Map<string, OutputTarget>();
  for (const target of targets) {
    const key = await realLocation(target.path);
    const earlier = seen.get(key);
    if (earlier) {
      throw new UsageError(
        "OUTPUT_GIVEN_TWICE",
        `is the same file as ${earlier.path === target.path ? "another output" : `the output ${earlier.path}`} of this run; it would be written twice`,
        { file: target.path },
      );
    }
    seen.set(key, target);
    const info = await stat(target.path).catch(() => undefined);
    if (!info) continue;
    for (const input of inputs) {
      if (input.dev !== info.dev || input.ino !== info.ino) continue;
      if (target.updatesItself && input.absolute === resolve(target.path)) continue;
      if (!(await stillIs(input))) continue;
      throw new UsageError(
        "OUTPUT_IS_AN_INPUT",
        `is ${describeInput(input, target.path)}; an output never replaces an input, even with ` +
          `--force${target.hint ? `: ${target.hint}` : ""}`,
        { file: target.path },
      );
    }
  }
}

function describeInput(input: RecordedInput, output: string): string {
  return input.absolute === resolve(output)
    ? `the input file ${input.path} itself`
    : `the input file ${input.path} under another name (the same file: a symlink, a hard link or another path to it)`;
}

async function stillIs(input: RecordedInput): Promise<boolean> {
  const now = await stat(input.path).catch(() => undefined);
  return now !== undefined && now.dev === input.dev && now.ino === input.ino;
}

/** The target's real directory (every symlink resolved) and its name. */
async function realLocation(path: string): Promise<string> {
  const directory = await realpath(dirname(path)).catch(() => resolve(dirname(path)));
  return join(directory, basename(path));
}
