/**
 * Where a command's words go. stdout: the result (summaries, calldata JSON). stderr: progress,
 * warnings, diagnostics. Progress only when stderr is a terminal, so logs stay clean.
 */
export interface Output {
  result(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  /** A transient progress line; nothing when stderr is not a TTY. */
  progress(line: string): void;
  /** Ends the progress line, if any. */
  progressDone(): void;
}

export function consoleOutput(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output {
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
  };
}

/** 12345 → "12,345": counts are read by people. */
export function count(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}
