// The port through which core tells the operator what happens (the CLI implements it:
// src/cli/output.ts, on the run's terminal); core never writes to a stream itself.

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
