// What core tells the operator through (the CLI implements it in src/cli/output.ts), and the
// wording of counts: core reports in numbers without reaching up into the CLI.

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
  /**
   * Resolves once everything written to stdout so far has been handed to the system; rejects
   * with the reason when stdout cannot be written (a closed pipe, a full disk).
   */
  flush(): Promise<void>;
}

/** 12345 → "12,345": counts are read by people. */
export function count(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}
