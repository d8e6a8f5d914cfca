export { count, plural, type Output } from "../core/plan/report.js";
import type { Output } from "../core/plan/report.js";

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
