import { CommanderError } from "commander";
import { redactUrlsIn } from "../core/chain/redact-url.js";
import { ButlerError, ExitCode } from "../core/errors.js";
import { processTerminal, type OutputStream } from "./output.js";

export interface ReportOptions {
  stderr?: OutputStream;
  /** `--verbose`: also print the error's chain of causes. */
  verbose?: boolean;
}

/**
 * The one place errors are printed, returning the exit code (README "Exit codes"):
 * - an operator's mistake or a refusal (ButlerError): one line, `error: <where>: <what>`;
 * - a bug (anything else): its stack, so it can be reported (exit 70).
 * With --verbose, a ButlerError's causes follow on lines of their own.
 */
export function reportError(
  error: unknown,
  { stderr = processTerminal.stderr, verbose = false }: ReportOptions = {},
): number {
  if (error instanceof ButlerError) {
    stderr.write(`error: ${error.message}\n`);
    if (verbose) stderr.write(verboseLines(error));
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : ExitCode.usage;
  }
  stderr.write(
    `internal error (a bug in aztec-butler; please report it with this output):\n${
      error instanceof Error ? (error.stack ?? error.message) : String(error)
    }\n`,
  );
  return ExitCode.internal;
}

/** "  caused by: Name: message" for each cause, innermost last, URLs without their path. */
export function verboseLines(error: ButlerError): string {
  const lines: string[] = [];
  const seen = new Set<unknown>([error]);
  for (let cause = error.cause; cause !== undefined && !seen.has(cause);) {
    seen.add(cause);
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : `${String(cause)}`;
    lines.push(`  caused by: ${redactUrlsIn(text).replace(/\n+/g, "\n    ")}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
