import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { InputError, InputMissingError, type ErrorLocation } from "../errors.js";

/**
 * Reads an operator's JSON input. Every failure names the file and says what is wrong in one
 * line; a UTF-8 byte order mark (editors on Windows add one) is accepted and ignored.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new InputMissingError("is a directory, expected a JSON file", { file });
    }
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof InputMissingError) throw error;
    throw new InputMissingError(describeReadError(error), { file });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw new InputError("is empty, expected JSON", { file });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse messages quote a snippet of the input, which may be a private key: give only
    // the position.
    const message = String((error as Error).message);
    // "Unexpected end of JSON input" (a file cut after a comma or bracket) carries no position.
    const position =
      /position (\d+)/.exec(message)?.[1] ??
      (/end of JSON input/.test(message) ? text.trimEnd().length : undefined);
    const where = position === undefined ? "" : ` at ${lineAndColumn(text, Number(position))}`;
    throw new InputError(`is not valid JSON${where} (truncated or hand-edited?)`, { file });
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
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
  throw new InputError(issueMessage(issue, value), locate(file, issue.path));
}

function issueMessage(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (
    (issue.code === "invalid_type" || issue.code === "invalid_union") &&
    !isPresent(root, issue.path)
  ) {
    return "is missing";
  }
  if (issue.code === "invalid_type" && issue.path.length === 0) {
    return `must be a JSON ${issue.expected === "array" ? "list" : "object"}, not ${jsonKind(root)}`;
  }
  return issue.message;
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

/** Turns a zod path like ["validators", 3, "attester", "bls"] into {index: 3, field: "attester.bls"}. */
export function locate(file: string, path: readonly PropertyKey[]): ErrorLocation {
  const location: ErrorLocation = { file };
  let rest = path;
  if (rest[0] === "validators" && typeof rest[1] === "number") {
    location.index = rest[1];
    rest = rest.slice(2);
  }
  const field = rest.map((part) => (typeof part === "number" ? `[${part}]` : String(part)));
  if (field.length > 0) location.field = field.join(".").replace(/\.\[/g, "[");
  return location;
}
