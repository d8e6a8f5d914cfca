import { readFileSync, writeFileSync } from "node:fs";

/** JSON as the tool writes it: two-space indent, a final newline. */
export const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export const readJson = <T = Record<string, unknown>>(path: string): T =>
  JSON.parse(readFileSync(path, "utf8")) as T;

/** Rewrites a text file through `change`. */
export function editText(path: string, change: (text: string) => string): void {
  writeFileSync(path, change(readFileSync(path, "utf8")));
}

/** Parses a JSON file, lets `change` edit it in place, writes it back (two-space indent). */
export function editJson<T = Record<string, unknown>>(
  path: string,
  change: (json: T) => void,
): void {
  const json = readJson<T>(path);
  change(json);
  writeFileSync(path, JSON.stringify(json, null, 2));
}
