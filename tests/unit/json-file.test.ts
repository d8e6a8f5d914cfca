import { execFileSync } from "node:child_process";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, InputError, InputMissingError } from "../../src/core/errors.js";
import { locate, shownName } from "../../src/core/errors.js";
import { readJsonFile } from "../../src/core/files/json-file.js";
import { tempDir } from "../support/files.js";

/** A fake 32-byte private key: it must never be echoed in a message. */
const FAKE_KEY = `0x${"5ec2e7".repeat(10)}abcd`;

async function readError(file: string): Promise<Error> {
  const error = await readJsonFile(file).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (error === undefined) throw new Error(`expected ${file} to be refused`);
  return error;
}

function fileWith(name: string, content: string | Buffer): string {
  const dir = tempDir("butler-json-");
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("readJsonFile", () => {
  it("accepts a UTF-8 byte order mark and ignores it", async () => {
    const file = fileWith(
      "bom.json",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a": [1, 2]}\n')]),
    );
    expect(await readJsonFile(file)).toEqual({ a: [1, 2] });
  });

  it("refuses an empty (or whitespace-only) file as bad input, naming it", async () => {
    for (const content of ["", "  \n\t\n"]) {
      const file = fileWith("empty.json", content);
      const error = await readError(file);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).exitCode).toBe(ExitCode.dataError);
      expect(error.message).toBe(`${file}: is empty, expected JSON`);
    }
  });

  it("refuses a directory as an unreadable input (exit 66)", async () => {
    const dir = tempDir("butler-json-");
    mkdirSync(join(dir, "keys.json"));
    const error = await readError(join(dir, "keys.json"));
    expect(error).toBeInstanceOf(InputMissingError);
    expect((error as InputMissingError).exitCode).toBe(66);
    expect(error.message).toBe(`${join(dir, "keys.json")}: is a directory, expected a JSON file`);
  });

  it("reports a missing file as missing input (exit 66), naming it", async () => {
    const missing = join(tempDir("butler-json-"), "nope.json");
    const error = await readError(missing);
    expect(error).toBeInstanceOf(InputMissingError);
    expect((error as InputMissingError).exitCode).toBe(ExitCode.noInput);
    expect(error.message).toBe(`${missing}: does not exist`);
  });

  const whole = `{\n  "schemaVersion": 1,\n  "validators": [\n    {\n      "attester": {\n        "eth": "${FAKE_KEY}",\n        "bls": "${FAKE_KEY}"\n      }\n    },\n`;
  const truncations: { name: string; text: string; at: RegExp }[] = [
    // "Unexpected end of JSON input": V8 gives no position; the end of the text is the place.
    { name: "cut after a comma", text: whole, at: /line 9, column 7\b/ },
    // "Unterminated string in JSON at position N"
    {
      name: "cut inside the key",
      text: whole.slice(0, whole.indexOf(FAKE_KEY) + 40),
      at: /line 6, column 57\b/,
    },
    // "Expected ',' or '}' after property value": a hand-edit that drops a comma.
    {
      name: "a missing comma after the key",
      text: whole.replace(`"${FAKE_KEY}",`, `"${FAKE_KEY}"`),
      at: /line 7, column \d+/,
    },
  ];

  it.each(truncations)(
    "gives the line and column of truncated JSON ($name) and never echoes the content",
    async ({ text, at }) => {
      const file = fileWith("cut.json", text);
      const error = await readError(file);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /: is not valid JSON at line \d+, column \d+ \(truncated or hand-edited\?\)$/,
      );
      expect(error.message).toMatch(at);
      expect(error.message.toLowerCase()).not.toContain(FAKE_KEY.slice(2, 20));
      expect(error.message).not.toContain("attester");
    },
  );

  it("never echoes the snippet V8 quotes for an unexpected token", async () => {
    // V8: `Unexpected token 'z', "…"eth": "0x…"… is not valid JSON` quotes the input around it.
    const file = fileWith("token.json", `{"eth": "${FAKE_KEY}", "b": zz}`);
    const error = await readError(file);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/: is not valid JSON/);
    expect(error.message.toLowerCase()).not.toContain(FAKE_KEY.slice(2, 20));
    expect(error.message).not.toContain("zz");
  });
});

describe("locate", () => {
  it.each([
    { path: ["validators", 3, "attester", "bls"], expected: { index: 3, field: "attester.bls" } },
    { path: ["validators", 0], expected: { index: 0 } },
    { path: ["validators", 2, "publisher", 1], expected: { index: 2, field: "publisher[1]" } },
    { path: ["schemaVersion"], expected: { field: "schemaVersion" } },
    { path: [], expected: {} },
    { path: ["publishers", 4], expected: { field: "publishers[4]" } },
    { path: ["validators", "x"], expected: { field: "validators.x" } },
    { path: ["a", 0, 1, "b"], expected: { field: "a[0][1].b" } },
  ])("turns $path into a validator index and a dotted field", ({ path, expected }) => {
    expect(locate("keys.json", path)).toEqual({ file: "keys.json", ...expected });
  });

  it("formats as 'file, validator N, field' in a message", () => {
    const error = new InputError(
      "INVALID_PRIVATE_KEY",
      "must be 0x followed by 64 hex digits",
      locate("keys.json", ["validators", 1, "attester", "eth"]),
    );
    expect(error.message).toBe(
      "keys.json, validator 1, attester.eth: must be 0x followed by 64 hex digits",
    );
  });
});

describe("readJsonFile: strict input", () => {
  it("refuses a repeated top-level key, naming the file, the key and where", async () => {
    const file = fileWith("dup.json", '{\n  "validators": [1, 2, 3],\n  "validators": [4]\n}\n');
    const error = await readError(file);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      `${file}: key "validators" appears twice at line 3, column 3 (JSON readers would silently keep only the last one)`,
    );
  });

  it("refuses a key repeated inside a validator, naming the validator", async () => {
    const file = fileWith(
      "dup.json",
      '{"validators": [{"a": 1}, {"remoteSigner": "http://a", "x": {"y": 1, "y": 2}, "remoteSigner": "http://b"}]}',
    );
    const error = await readError(file);
    expect(error.message).toMatch(/validator 1, x: key "y" appears twice at line 1, column 70/);
  });

  it("accepts the same key in different objects, and keys inside strings with escapes", async () => {
    const text = '{"a": {"k": 1}, "b": {"k": "\\"k\\": 2, {"}, "c": [{"k": 1}, {"k": 2}]}';
    const file = fileWith("ok.json", text);
    expect(await readJsonFile(file)).toEqual(JSON.parse(text));
  });

  it("never shows a repeated key that may be a private key", async () => {
    const file = fileWith("dup.json", `{"${FAKE_KEY}": 1, "${FAKE_KEY}": 2}`);
    const error = await readError(file);
    expect(error.message).not.toContain(FAKE_KEY.slice(6));
    expect(error.message).toContain(`key "0x5ec2…" appears twice`);
  });

  it("refuses a named pipe at once (exit 66), without waiting for a writer", async () => {
    const dir = tempDir("butler-json-");
    const fifo = join(dir, "keys.json");
    execFileSync("mkfifo", [fifo]);
    const error = await readError(fifo);
    expect(error).toBeInstanceOf(InputMissingError);
    expect(error.message).toBe(`${fifo}: is a named pipe, not a regular file; refusing to read it`);
  });

  it("refuses /dev/zero at once (exit 66) without reading it", async () => {
    const error = await readError("/dev/zero");
    expect(error).toBeInstanceOf(InputMissingError);
    expect((error as InputMissingError).exitCode).toBe(ExitCode.noInput);
    expect(error.message).toBe("/dev/zero: is a device, not a regular file; refusing to read it");
  });

  it("refuses a file larger than 256 MiB (sparse), without reading it", async () => {
    const file = fileWith("big.json", "");
    truncateSync(file, 256 * 1024 * 1024 + 1);
    const error = await readError(file);
    expect(error).toBeInstanceOf(InputMissingError);
    expect(error.message).toMatch(/is 256 MiB, more than the 256 MiB any input/);
  });
});

describe("shownName", () => {
  it("truncates runs of 32+ hex digits to their first 4, keeps other names", () => {
    expect(shownName(FAKE_KEY)).toBe("0x5ec2…");
    expect(shownName("5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e7")).toBe("5ec2…");
    expect(shownName("remoteSigner")).toBe("remoteSigner");
    expect(shownName("0xdeadbeef")).toBe("0xdeadbeef");
  });
});
