/**
 * Two kinds of failure, kept apart (see README "Exit codes"):
 * - an operator's mistake or a refusal: a ButlerError subclass, printed as one line, no stack;
 * - a bug: anything else, printed with its stack so it can be reported (exit 70).
 *
 * Exit codes follow BSD sysexits so scripts (ansible) can tell failures apart.
 */
export const ExitCode = {
  /** status: the chain and the files disagree, or an attester needs the operator (README). */
  needsOperator: 3,
  usage: 64,
  dataError: 65,
  noInput: 66,
  unavailable: 69,
  internal: 70,
  cannotCreate: 73,
  ioError: 74,
  config: 78,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorLocation {
  /** The file the problem is in, as the operator named it. */
  file?: string;
  /** Zero-based index in the file's `validators` array (or publishers list). */
  index?: number;
  /** Dotted path of the field, e.g. `attester.bls`. */
  field?: string;
}

/** What an error carries besides its message, in viem's style. */
export interface ErrorParts {
  /** Longer background, printed with --verbose only (refusals stay one line). */
  details?: string;
  /** The underlying error (viem's, the file system's), printed as a chain with --verbose. */
  cause?: unknown;
}

export abstract class ButlerError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** The message without its location. */
  readonly shortMessage: string;
  readonly location: ErrorLocation;
  readonly details: string | undefined;

  constructor(message: string, location: ErrorLocation = {}, parts: ErrorParts = {}) {
    super(
      formatMessage(message, location),
      parts.cause === undefined ? undefined : { cause: parts.cause },
    );
    this.name = new.target.name;
    this.shortMessage = message;
    this.location = location;
    this.details = parts.details;
  }
}

function formatMessage(message: string, { file, index, field }: ErrorLocation): string {
  const where: string[] = [];
  if (file !== undefined) where.push(file);
  if (index !== undefined) where.push(`validator ${index}`);
  if (field !== undefined) where.push(field);
  return where.length > 0 ? `${where.join(", ")}: ${message}` : message;
}

/** A command-line argument or option that cannot be used. */
export class UsageError extends ButlerError {
  readonly exitCode = ExitCode.usage;
}

/** An input file (or its content) is wrong: bad JSON, schema mismatch, malformed key, duplicate. */
export class InputError extends ButlerError {
  readonly exitCode = ExitCode.dataError;
}

/** An input file does not exist or cannot be read. */
export class InputMissingError extends ButlerError {
  readonly exitCode = ExitCode.noInput;
}

/** The chain says no: attester already queued, publisher without ETH, provider not found. */
export class ChainRefusalError extends ButlerError {
  readonly exitCode = ExitCode.dataError;
}

/** The RPC endpoint cannot be reached, times out, or answers nonsense. */
export class RpcUnavailableError extends ButlerError {
  readonly exitCode = ExitCode.unavailable;
}

/** Configuration missing or malformed (names the key and where it was read). */
export class ConfigError extends ButlerError {
  readonly exitCode = ExitCode.config;
}

/** Standard output cannot be written (a closed pipe, a full disk). */
export class StdoutError extends ButlerError {
  readonly exitCode = ExitCode.ioError;
}

/** An output cannot be written (exists, symlink, permission, rename failure). */
export class OutputError extends ButlerError {
  readonly exitCode = ExitCode.cannotCreate;
}

/** An output that did not exist when checked appeared before it was written (a concurrent run). */
export class OutputExistsError extends OutputError {}
