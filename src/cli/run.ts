import { CommanderError } from "commander";
import { ButlerError, ExitCode } from "../core/errors.js";

/**
 * Wraps a command handler: an operator's mistake or a refusal (ButlerError) prints one line and
 * exits with its code; anything else is a bug and prints its stack (exit 70).
 */
export function runAction<A extends unknown[]>(
  handler: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await handler(...args);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

export function reportError(error: unknown): number {
  if (error instanceof ButlerError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : ExitCode.usage;
  }
  process.stderr.write(
    `internal error (a bug in aztec-butler; please report it with this output):\n${
      error instanceof Error ? (error.stack ?? error.message) : String(error)
    }\n`,
  );
  return ExitCode.internal;
}
