import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { z } from "zod";
import {
  InputError,
  InputMissingError,
  locate,
  shownName,
  isInputErrorCode,
  type InputErrorCode,
} from "../errors.js";
import { findDuplicateKey } from "./json-duplicates.js";
import { recordInputFile } from "./file-identity.js";

/** No input of this tool comes near this; anything larger is the wrong file (or /dev/zero). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * Reads an operator's JSON input. Every failure names the file and says what is wrong in one
 * line; a UTF-8 byte order mark (editors on Windows add one) is accepted and ignored.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text = await readInputFile(file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw new InputError("EMPTY_FILE", "is empty, expected JSON", { file });
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse messages quote a snippet of the input, which may be a private key: give only
    // the position, and not the SyntaxError as the cause (--verbose would print it).
    const message = String((error as Error).message);
    // "Unexpected end of JSON input" (a file cut after a comma or bracket) carries no position.
    const position =
      /position (\d+)/.exec(message)?.[1] ??
      (/end of JSON input/.test(message) ? text.trimEnd().length : undefined);
    const where = position === undefined ? "" : ` at ${lineAndColumn(text, Number(position))}`;
    throw new InputError("INVALID_JSON", `is not valid JSON${where} (truncated or hand-edited?)`, {
      file,
    });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    throw new InputError(
      "DUPLICATE_KEY",
      `key "${shownName(duplicate.key)}" appears twice at ${lineAndColumn(text, duplicate.offset)} ` +
        "(JSON readers would silently keep only the last one)",
      locate(file, duplicate.path),
    );
  }
  return value;
}

/**
 * An operator's input file, as text: a regular file of at most MAX_INPUT_BYTES, so that a FIFO
 * (which would block until a writer comes), a device (/dev/zero never ends) or a huge file is
 * refused at once. Exported for the other input readers (.env files).
 */
export async function readInputFile(
  file: string,
  expected = "a JSON file",
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  try {
    refuseIrregularInput(await stat(file), file, expected, maxBytes);
    // O_NONBLOCK: should the path become a FIFO after the check, opening it does not wait.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      refuseIrregularInput(info, file, expected, maxBytes);
      // An input of this run: no output may be this file (see file-identity.ts).
      recordInputFile(file, info);
      // Read to the end rather than trust the size (files under /proc say 0), never past the cap.
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(1 << 20);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        refuseOversizedInput(total, file, maxBytes);
        chunks.push(chunk.subarray(0, bytesRead));
      }
      return Buffer.concat(chunks, total).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InputMissingError) throw error;
    throw new InputMissingError(
      readErrorCode(error),
      describeReadError(error),
      { file },
      { cause: error },
    );
  }
}

function refuseIrregularInput(
  info: import("node:fs").Stats,
  file: string,
  expected: string,
  maxBytes: number,
): void {
  if (info.isDirectory()) {
    throw new InputMissingError("NOT_A_REGULAR_FILE", `is a directory, expected ${expected}`, {
      file,
    });
  }
  if (!info.isFile()) {
    const kind = info.isFIFO()
      ? "a named pipe"
      : info.isCharacterDevice() || info.isBlockDevice()
        ? "a device"
        : info.isSocket()
          ? "a socket"
          : "not a regular file";
    throw new InputMissingError(
      "NOT_A_REGULAR_FILE",
      `is ${kind}, not a regular file; refusing to read it`,
      { file },
    );
  }
  refuseOversizedInput(info.size, file, maxBytes);
}

function refuseOversizedInput(size: number, file: string, maxBytes: number): void {
  if (size > maxBytes) {
    throw new InputMissingError(
      "TOO_LARGE",
      `is ${describeSize(size)}, more than the ${describeSize(maxBytes)} ` +
        `${maxBytes === MAX_INPUT_BYTES ? "any input of this tool" : "such a file"} can be; wrong file?`,
      { file },
    );
  }
}

function describeSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${bytes} bytes`;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

function readErrorCode(error: unknown): "NOT_FOUND" | "UNREADABLE" {
  return (error as NodeJS.ErrnoException).code === "ENOENT" ? "NOT_FOUND" : "UNREADABLE";
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EACCES":
    case "EPERM":
      return "cannot be read (permission denied)";
    case "EISDIR":
      return "is a directory, expected a JSON file";
    default:
      return `cannot be read (${code ?? String(error)})`;
  }
}

/**
 * Validates parsed JSON against a file-format schema. The first problem becomes an InputError
 * naming the file, the validator index (for paths under `validators`) and the field.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const { code, message } = issueOf(issue, value);
  throw new InputError(code, message, locate(file, issue.path));
}

/** The schema's first complaint as a refusal: what kind it is, and its message. */
function issueOf(
  issue: z.core.$ZodIssue,
  root: unknown,
): { code: InputErrorCode; message: string } {
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => `"${shownName(k)}"`).join(", ");
    return {
      code: "UNKNOWN_FIELD",
      message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${names}`,
    };
  }
  if (
    (issue.code === "invalid_type" || issue.code === "invalid_union") &&
    !isPresent(root, issue.path)
  ) {
    return { code: "MISSING_FIELD", message: "is missing" };
  }
  if (issue.code === "invalid_type" && issue.path.length === 0) {
    const expected = issue.expected === "array" ? "list" : "object";
    return { code: "WRONG_TYPE", message: `must be a JSON ${expected}, not ${jsonKind(root)}` };
  }
  // A schema's own check of a field that is not there says so in its words ("is missing").
  if (!isPresent(root, issue.path)) return { code: "MISSING_FIELD", message: issue.message };
  const refusal = (issue as { params?: { refusal?: unknown } }).params?.refusal;
  if (issue.code === "custom" && typeof refusal === "string" && isInputErrorCode(refusal))
    return { code: refusal, message: issue.message };
  if (issue.code === "too_small" && issue.origin === "array")
    return { code: "EMPTY_LIST", message: issue.message };
  return {
    code: issue.code === "invalid_type" ? "WRONG_TYPE" : "INVALID_FIELD",
    message: issue.message,
  };
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Whether the JSON value has something at `path` (the last key present, even if null). */
function isPresent(root: unknown, path: readonly PropertyKey[]): boolean {
  let current = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null || !(key in current)) return false;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current !== undefined;
}
