export { count, plural } from "../core/plan/wording.js";
export type { Output } from "../core/output.js";
import { count } from "../core/plan/wording.js";
import type { Output } from "../core/output.js";

/** A stream the CLI writes to: the process's own, or a recording one when run in-process. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Where a run of the CLI writes: the process's stdout and stderr, or recording streams. */
export interface Terminal {
  stdout: OutputStream;
  stderr: OutputStream;
}

export const processTerminal: Terminal = { stdout: process.stdout, stderr: process.stderr };

export function consoleOutput({ stdout, stderr }: Terminal = processTerminal): Output {
  const tty = Boolean(stderr.isTTY);
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) stderr.write("\r\x1b[K");
    progressShown = false;
  };
  return {
    result: (line) => {
      clearProgress();
      stdout.write(`${line}\n`);
    },
    info: (line) => {
      clearProgress();
      stderr.write(`${line}\n`);
    },
    warn: (line) => {
      clearProgress();
      stderr.write(`warning: ${line}\n`);
    },
    progress: (line) => {
      if (!tty) return;
      stderr.write(`\r\x1b[K${line}`);
      progressShown = true;
    },
    progressDone: clearProgress,
    flush: () => flushStream(stdout),
  };
}

/** See Output.flush. The stream's error, if it has failed before, is remembered by watchStream. */
export function flushStream(stream: OutputStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = streamFailures.get(stream);
    if (failed) return reject(failed);
    stream.write("", (error) => {
      const failure = error ?? streamFailures.get(stream);
      if (failure) reject(failure);
      else resolve();
    });
  });
}

const streamFailures = new WeakMap<OutputStream, Error>();

/**
 * Keeps a failing stdout (`| head` closing the pipe, `> /dev/full`) from crashing the process:
 * the first error is remembered, for flush() and for main() to report as one line.
 */
export function watchStream(stream: OutputStream = process.stdout): () => Error | undefined {
  stream.on("error", (error: Error) => {
    if (!streamFailures.has(stream)) streamFailures.set(stream, error);
  });
  return () => streamFailures.get(stream);
}

/** The progress line of reading StakedWithProvider events (status, fill-coinbases). */
export function stakedEventsProgress(out: Output): (done: bigint, total: bigint) => void {
  return (done, total) =>
    out.progress(`reading StakedWithProvider events: ${count(done)}/${count(total)} blocks`);
}

/** "wrote <path>" for each file written; every one but `output` is a Safe Transaction Builder file. */
export function reportWrites(
  out: Output,
  writes: readonly { path: string }[],
  output: string | undefined,
): void {
  for (const { path } of writes)
    out.info(`wrote ${path}${path === output ? "" : " (Safe Transaction Builder)"}`);
}

/** A progress callback that shows "<what>: done/total" (on a terminal only). */
export function countProgress(out: Output, what: string, total: number): (done: number) => void {
  const of = count(total);
  return (done) => out.progress(`${what}: ${count(done)}/${of}`);
}

/** A table as lines: the header, then each row, columns padded to the widest cell, two apart. */
export function tableLines(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [header, ...rows].map(line);
}
