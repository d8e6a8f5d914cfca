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

/**
 * A property name as it may be shown in a message: a name holding a run of 32 or more hex digits
 * may be key material (a private key pasted as a key), so only its first 4 digits are shown.
 */
export function shownName(name: string): string {
  return name.replace(/(?:0x)?[0-9a-fA-F]{32,}/g, (run) => {
    const prefix = run.startsWith("0x") ? "0x" : "";
    return `${prefix}${run.slice(prefix.length, prefix.length + 4)}…`;
  });
}

/** Turns a zod path like ["validators", 3, "attester", "bls"] into {index: 3, field: "attester.bls"}. */
export function locate(file: string, path: readonly PropertyKey[]): ErrorLocation {
  const location: ErrorLocation = { file };
  let rest = path;
  if (rest[0] === "validators" && typeof rest[1] === "number") {
    location.index = rest[1];
    rest = rest.slice(2);
  }
  const field = rest.map((part) =>
    typeof part === "number" ? `[${part}]` : shownName(String(part)),
  );
  if (field.length > 0) location.field = field.join(".").replace(/\.\[/g, "[");
  return location;
}

/** What an error carries besides its code, message and location. */
export interface ErrorParts {
  /**
   * The underlying error (viem's, the file system's, another ButlerError), printed as a chain
   * with --verbose. Every error raised because of another passes it here.
   */
  cause?: unknown;
}

/**
 * A refusal: a code (one of its class's, as Lodestar's errors carry theirs; what tests and
 * scripts compare), a short message for people, and where the problem is. `code` is the stable
 * part: a message may be reworded, a code is not.
 */
export abstract class ButlerError<Code extends string = string> extends Error {
  abstract readonly exitCode: ExitCodeValue;
  readonly code: Code;
  /** The message without its location. */
  readonly shortMessage: string;
  readonly location: ErrorLocation;

  constructor(code: Code, message: string, location: ErrorLocation = {}, parts: ErrorParts = {}) {
    super(
      formatMessage(message, location),
      parts.cause === undefined ? undefined : { cause: parts.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.shortMessage = message;
    this.location = location;
  }
}

function formatMessage(message: string, { file, index, field }: ErrorLocation): string {
  const where: string[] = [];
  if (file !== undefined) where.push(file);
  if (index !== undefined) where.push(`validator ${index}`);
  if (field !== undefined) where.push(field);
  return where.length > 0 ? `${where.join(", ")}: ${message}` : message;
}

export type UsageErrorCode =
  | "INVALID_OPTION_VALUE"
  | "INVALID_SECRET_STORE"
  | "NOTHING_TO_CHECK"
  | "TOP_UP_TARGET_BELOW_MINIMUM"
  | "FILE_GIVEN_TWICE"
  | "NO_SINGLE_PUBLIC_KEYS_FILE"
  | "OUTPUT_IS_AN_INPUT"
  | "OUTPUT_GIVEN_TWICE"
  | "OUTPUT_IS_A_STORE_FILE"
  | "FROM_BLOCK_PAST_LATEST"
  | "EMPTY_PASSWORD"
  | "PASSWORDS_DIFFER"
  | "PROMPT_INTERRUPTED";

/** A command-line argument or option that cannot be used. */
export class UsageError extends ButlerError<UsageErrorCode> {
  readonly exitCode = ExitCode.usage;
}

export const INPUT_ERROR_CODES = [
  "EMPTY_FILE",
  "INVALID_JSON",
  "DUPLICATE_KEY",
  "UNKNOWN_FIELD",
  "MISSING_FIELD",
  "WRONG_TYPE",
  "INVALID_FIELD",
  "EMPTY_LIST",
  "INVALID_REMOTE_SIGNER",
  "PRIVATE_KEY_AS_ADDRESS",
  "SEVERAL_ATTESTERS",
  "INVALID_PRIVATE_KEY",
  "DUPLICATE_PRIVATE_KEY",
  "INVALID_ADDRESS",
  "PRIVATE_KEY_FILE_GIVEN",
  "ENCRYPTED_KEYSTORE_GIVEN",
  "MISSING_BLS_KEY",
  "DUPLICATE_ATTESTER",
  "ZERO_COINBASE",
  "NO_REMOTE_SIGNER",
  "HIGH_AVAILABILITY_MISMATCH",
  "TOO_FEW_PUBLISHERS",
  "NO_SERVERS",
  "ZERO_PUBLISHER",
  "DUPLICATE_PUBLISHER",
  "FILE_WIDE_PUBLISHER_NEEDS_V2",
  "TOP_UP_TOTAL_TOO_LARGE",
  "NODE_REJECTS_KEY_FILE",
  "KEYSTORE_UNUSABLE",
  "KEYSTORE_UNDECRYPTABLE",
  "KEYSTORE_MISMATCH",
  "CERTIFICATE_UNUSABLE",
] as const;
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** Whether a schema's refusal name (types/primitives.ts refusalOf) is an InputError code. */
export function isInputErrorCode(code: string): code is InputErrorCode {
  return (INPUT_ERROR_CODES as readonly string[]).includes(code);
}

/** An input file (or its content) is wrong: bad JSON, schema mismatch, malformed key, duplicate. */
export class InputError extends ButlerError<InputErrorCode> {
  readonly exitCode = ExitCode.dataError;
}

export type InputMissingErrorCode =
  | "NOT_FOUND"
  | "UNREADABLE"
  | "NOT_A_REGULAR_FILE"
  | "NOT_A_DIRECTORY"
  | "TOO_LARGE"
  | "NO_SCRAPER_CONFIG";

/** An input file does not exist or cannot be read. */
export class InputMissingError extends ButlerError<InputMissingErrorCode> {
  readonly exitCode = ExitCode.noInput;
}

export type ChainRefusalErrorCode =
  | "ALREADY_QUEUED"
  | "ALREADY_KNOWN_TO_ROLLUP"
  | "PUBLISHER_WITHOUT_ETH"
  | "COINBASE_CONFLICT"
  | "CALL_REVERTED"
  | "ADD_KEYS_WOULD_REVERT"
  | "KEY_TOO_LARGE"
  | "DRIP_WOULD_REVERT"
  | "DRIP_TOO_LARGE"
  | "NOTHING_TO_DRIP"
  | "COUNT_BEYOND_QUEUE"
  | "REGISTRY_NOT_UNDERSTOOD";

/** The chain says no: attester already queued, publisher without ETH, provider not found. */
export class ChainRefusalError extends ButlerError<ChainRefusalErrorCode> {
  readonly exitCode = ExitCode.dataError;
}

export type RpcUnavailableErrorCode =
  | "UNREACHABLE"
  | "TIMEOUT"
  | "RATE_LIMITED"
  | "HTTP_ERROR"
  | "NOT_JSON_RPC"
  | "MALFORMED_BATCH"
  | "MALFORMED_ANSWER"
  | "UNTRUSTED_LOG"
  | "IMPLAUSIBLE_ESTIMATE"
  | "WRONG_SIGNATURE"
  | "SIGNER_UNREACHABLE"
  | "RPC_FAILED";

/** The RPC endpoint cannot be reached, times out, or answers nonsense. */
export class RpcUnavailableError extends ButlerError<RpcUnavailableErrorCode> {
  readonly exitCode = ExitCode.unavailable;
}

export type ConfigErrorCode =
  | "MISSING_SETTING"
  | "INVALID_SETTING"
  | "CONFIG_FILE_UNUSABLE"
  | "WRONG_CHAIN"
  | "NO_PROVIDER_CONFIGURED"
  | "UNKNOWN_PROVIDER"
  | "PROVIDER_ADMIN_MISMATCH"
  | "AMBIGUOUS_PROVIDER"
  | "NO_DEFAULT_REGISTRY"
  | "NO_CONTRACT_CODE"
  | "ROLLUP_NOT_FOUND"
  | "NOT_THE_ROLLUP"
  | "NOT_THE_GSE"
  | "GSE_MISMATCH"
  | "NO_HISTORY"
  | "NODE_WITHOUT_BLOCK_NUMBER"
  | "SCRAPER_CONFIG_MISMATCH"
  | "NO_PASSWORD"
  | "EMPTY_PASSWORD"
  | "WRONG_PASSWORD"
  | "UNSTORABLE_PASSWORD"
  | "INVALID_EMULATOR_ENDPOINT";

/** Configuration missing or malformed (names the key and where it was read). */
export class ConfigError extends ButlerError<ConfigErrorCode> {
  readonly exitCode = ExitCode.config;
}

export type StdoutErrorCode = "STDOUT_FAILED";

/** Standard output cannot be written (a closed pipe, a full disk). */
export class StdoutError extends ButlerError<StdoutErrorCode> {
  readonly exitCode = ExitCode.ioError;
}

export type OutputErrorCode =
  | "EXISTS"
  | "APPEARED_MEANWHILE"
  | "WRITE_FAILED"
  | "UNREADABLE"
  | "CANNOT_CHECK"
  | "NO_DIRECTORY"
  | "SYMBOLIC_LINK"
  | "NOT_A_REGULAR_FILE"
  | "NOT_A_DIRECTORY"
  | "NOT_YOURS"
  | "UNSAFE_PERMISSIONS"
  | "LOCKED"
  | "LOCK_FAILED"
  | "EXISTS_WITH_OTHER_CONTENT"
  | "READ_BACK_MISMATCH"
  | "SECRET_DISABLED"
  | "SECRET_STORE_FAILED";

export type SecretStoreUnavailableErrorCode =
  "UNREACHABLE" | "CREDENTIALS_REFUSED" | "CLIENT_LIBRARY_MISSING";

/** A secret store (GCP Secret Manager) cannot be reached, or refuses the credentials. */
export class SecretStoreUnavailableError extends ButlerError<SecretStoreUnavailableErrorCode> {
  readonly exitCode = ExitCode.unavailable;
}

/** An output cannot be written (exists, symlink, permission, rename failure). */
export class OutputError extends ButlerError<OutputErrorCode> {
  readonly exitCode = ExitCode.cannotCreate;
}

/** An output that did not exist when checked appeared before it was written (a concurrent run). */
export class OutputExistsError extends OutputError {}
