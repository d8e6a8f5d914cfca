/**
 * The bad-input corpus: every command, every input, refused with one clear line naming the file
 * (and the validator and field where there is one), a non-zero exit, no stack trace, and nothing
 * written. Refusals that other test files already pin (malformed keys, duplicates, funding) are
 * not repeated here.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAccounts } from "../support/test-chain.js";
import { runCli, runInProcess } from "../support/cli.js";
import { editJson as editJsonFile, editText } from "../support/json.js";
import {
  expectNoPrivateKeyIn,
  expectRefusal,
  recordDirs,
  type Refusal,
} from "../support/refusal.js";
import { copyToTemp, ownPhasesDir, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const PROD = "prod-testnet-keyfile.json";
const PUBS = "testnet_available_publisher_addresses.json";
const NEW = "new-public-keys.json";
const PRIV = "new-private-keys.json";
const prepare = (...extra: string[]) => [
  "prepare-deployment",
  PROD,
  PUBS,
  "--new-public-keys",
  NEW,
  ...extra,
];

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
  const publishers = JSON.parse(readFileSync(join(phase2, PUBS), "utf8")) as string[];
  await fundAccounts(net.chain, publishers, parseEther("10"));
});
afterAll(async () => {
  await net?.stop();
});

interface Case {
  name: string;
  args: string[];
  /** Changes the copy of after_phase2/on-dev-machine before the run. */
  setup?: (dir: string) => void;
  code: number;
  /** The error line's text: spawned cases only (one per exit code). */
  error?: RegExp;
  /** The error in-process cases fail with: its class and code, and where (file, validator, field). */
  thrown?: Refusal["thrown"];
  /** Never in the output (besides the input's private keys): a key-like name, say. */
  hidden?: string[];
  /**
   * Run as a child process, as an operator does (one smoke test per exit code); the rest run
   * in-process, through the same program and error reporting.
   */
  spawned?: true;
}

const edit = (file: string, change: (text: string) => string) => (dir: string) =>
  editText(join(dir, file), change);
const editJson = (file: string, change: (json: Record<string, unknown>) => void) => (dir: string) =>
  editJsonFile(join(dir, file), change);
const firstValidator = (json: Record<string, unknown>) =>
  (json.validators as Record<string, unknown>[])[0]!;

const cases: Case[] = [
  // Truncated JSON, for each input of each command.
  {
    name: "a truncated private-key file (process-private-keys)",
    args: ["process-private-keys", PRIV],
    setup: edit(PRIV, (t) => t.slice(0, 120)),
    code: 65,
    error: /^error: new-private-keys\.json: is not valid JSON at line \d+, column \d+/,
    spawned: true,
  },
  {
    name: "a truncated private-key file (add-keys)",
    args: ["add-keys", PRIV],
    setup: edit(PRIV, (t) => t.slice(0, 120)),
    code: 65,
    thrown: { name: "InputError", code: "INVALID_JSON", file: "new-private-keys.json" },
  },
  {
    name: "a truncated production file",
    args: prepare(),
    setup: edit(PROD, (t) => t.slice(0, 200)),
    code: 65,
    thrown: { name: "InputError", code: "INVALID_JSON", file: "prod-testnet-keyfile.json" },
  },
  {
    name: "a truncated publishers file",
    args: prepare(),
    setup: edit(PUBS, (t) => t.slice(0, 20)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_JSON",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  {
    name: "a truncated public-keys file",
    args: prepare(),
    setup: edit(NEW, (t) => t.slice(0, 300)),
    code: 65,
    thrown: { name: "InputError", code: "INVALID_JSON", file: "new-public-keys.json" },
  },
  // Wrong schemaVersion.
  {
    name: "a production file of schemaVersion 3",
    args: prepare(),
    setup: editJson(PROD, (j) => (j.schemaVersion = 3)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "prod-testnet-keyfile.json",
      field: "schemaVersion",
    },
  },
  {
    name: "a public-keys file of schemaVersion 2",
    args: prepare(),
    setup: editJson(NEW, (j) => (j.schemaVersion = 2)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "new-public-keys.json",
      field: "schemaVersion",
    },
  },
  // Missing and extra fields.
  {
    name: "a public-keys validator without feeRecipient",
    args: prepare(),
    setup: editJson(NEW, (j) => delete firstValidator(j).feeRecipient),
    code: 65,
    thrown: {
      name: "InputError",
      code: "MISSING_FIELD",
      file: "new-public-keys.json",
      index: 0,
      field: "feeRecipient",
    },
  },
  {
    name: "a public-keys validator with an extra field",
    args: prepare(),
    setup: editJson(
      NEW,
      (j) => (firstValidator(j).coinbase = "0x0000000000000000000000000000000000000001"),
    ),
    code: 65,
    thrown: { name: "InputError", code: "UNKNOWN_FIELD", file: "new-public-keys.json", index: 0 },
  },
  {
    name: "a production validator without attester",
    args: prepare(),
    setup: editJson(PROD, (j) => delete firstValidator(j).attester),
    code: 65,
    thrown: {
      name: "InputError",
      code: "MISSING_FIELD",
      file: "prod-testnet-keyfile.json",
      index: 0,
      field: "attester",
    },
  },
  {
    name: "a production file without validators",
    args: prepare(),
    setup: editJson(PROD, (j) => delete j.validators),
    code: 65,
    thrown: {
      name: "InputError",
      code: "MISSING_FIELD",
      file: "prod-testnet-keyfile.json",
      field: "validators",
    },
  },
  {
    name: "a private-key file with an extra top-level field",
    args: ["process-private-keys", PRIV],
    setup: editJson(PRIV, (j) => (j.note = "x")),
    code: 65,
    thrown: { name: "InputError", code: "UNKNOWN_FIELD", file: "new-private-keys.json" },
  },
  // Repeated keys: JSON.parse would keep the last one silently.
  {
    name: 'a private-key file with "validators" twice (6 validators read as 1)',
    args: ["process-private-keys", PRIV],
    setup: edit(PRIV, (t) => {
      const json = JSON.parse(t) as { validators: unknown[] };
      const one = JSON.stringify(json.validators.slice(0, 1));
      return t.replace(/\n}\s*$/, `,\n  "validators": ${one}\n}\n`);
    }),
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_KEY", file: "new-private-keys.json" },
  },
  {
    name: "a per-server publishers file with a server id twice",
    args: prepare(),
    setup: (d) =>
      writeFileSync(
        join(d, PUBS),
        '{"a": ["0xe9B180925b48fa3dE2a7F887E1F32f666be0d003"], "a": ["0x20De8B4171E29Fcf9Cc38e25Df484a81C3A6F946"]}',
      ),
    code: 65,
    thrown: {
      name: "InputError",
      code: "DUPLICATE_KEY",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  {
    name: "a production file with remoteSigner twice",
    args: prepare(),
    setup: edit(PROD, (t) =>
      t.replace(
        '"schemaVersion": 1,',
        '"schemaVersion": 1,\n  "remoteSigner": "http://other:9000",',
      ),
    ),
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_KEY", file: "prod-testnet-keyfile.json" },
  },
  {
    name: "an unknown field whose name is a private key (never echoed)",
    args: ["process-private-keys", PRIV],
    setup: editJson(PRIV, (j) => (j[`0xe9ef${"ab".repeat(30)}`] = 1)),
    code: 65,
    thrown: { name: "InputError", code: "UNKNOWN_FIELD", file: "new-private-keys.json" },
    hidden: [`0xe9ef${"ab".repeat(30)}`],
  },
  // A remoteSigner no web3signer can be reached at (the node's loader accepts these).
  {
    name: 'a top-level remoteSigner without a scheme ("signer:8080")',
    args: prepare(),
    setup: editJson(PROD, (j) => (j.remoteSigner = "signer:8080")),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_REMOTE_SIGNER",
      file: "prod-testnet-keyfile.json",
      field: "remoteSigner",
    },
  },
  {
    name: "a validator's remoteSigner {remoteSignerUrl} of scheme ftp",
    args: prepare(),
    setup: editJson(
      PROD,
      (j) => (firstValidator(j).remoteSigner = { remoteSignerUrl: "ftp://signer:21" }),
    ),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_REMOTE_SIGNER",
      file: "prod-testnet-keyfile.json",
      index: 0,
      field: "remoteSigner.remoteSignerUrl",
    },
  },
  // Inputs that are not regular files.
  {
    name: "a production file that is a named pipe without a writer (no hang)",
    args: prepare(),
    setup: (d) => {
      unlinkSync(join(d, PROD));
      execFileSync("mkfifo", [join(d, PROD)]);
    },
    code: 66,
    thrown: {
      name: "InputMissingError",
      code: "NOT_A_REGULAR_FILE",
      file: "prod-testnet-keyfile.json",
    },
  },
  {
    name: "a private-key file that is /dev/zero",
    args: ["process-private-keys", "/dev/zero", "-o", "out.json"],
    code: 66,
    thrown: { name: "InputMissingError", code: "NOT_A_REGULAR_FILE", file: "/dev/zero" },
  },
  // Publishers file neither an array nor an object of arrays.
  {
    name: "a publishers file that is a string",
    args: prepare(),
    setup: (d) => writeFileSync(join(d, PUBS), '"0xfd962667101b9E429A7DA2164203F83C0D99EbdB"'),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  {
    name: "a publishers file that is a number",
    args: prepare(),
    setup: (d) => writeFileSync(join(d, PUBS), "42"),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  // --high-availability-count values.
  {
    name: "--high-availability-count -1",
    args: prepare("--high-availability-count", "-1"),
    code: 64,
    error: /^error: --high-availability-count must be a positive whole number, got "-1"$/m,
    spawned: true,
  },
  {
    name: "--high-availability-count 1.5",
    args: prepare("--high-availability-count", "1.5"),
    code: 64,
    thrown: { name: "UsageError", code: "INVALID_OPTION_VALUE" },
  },
  {
    name: "--high-availability-count 0",
    args: prepare("--high-availability-count", "0"),
    code: 64,
    thrown: { name: "UsageError", code: "INVALID_OPTION_VALUE" },
  },
  {
    name: "--high-availability-count abc",
    args: prepare("--high-availability-count", "abc"),
    code: 64,
    thrown: { name: "UsageError", code: "INVALID_OPTION_VALUE" },
  },
  {
    name: "--high-availability-count larger than the publisher count",
    args: prepare("--high-availability-count", "4"),
    code: 65,
    thrown: {
      name: "InputError",
      code: "TOO_FEW_PUBLISHERS",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  // Values of the wrong type are named as such, not as missing.
  {
    name: "a private-key file that is a JSON list",
    args: ["process-private-keys", PRIV],
    setup: (d) => writeFileSync(join(d, PRIV), "[]\n"),
    code: 65,
    thrown: { name: "InputError", code: "WRONG_TYPE", file: "new-private-keys.json" },
  },
  {
    name: "a private key that is a number",
    args: ["process-private-keys", PRIV],
    setup: editJson(
      PRIV,
      (j) => ((firstValidator(j).attester as Record<string, unknown>).eth = 12345),
    ),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "new-private-keys.json",
      index: 0,
      field: "attester.eth",
    },
  },
  {
    name: "validators that are a string",
    args: prepare(),
    setup: editJson(PROD, (j) => (j.validators = "x")),
    code: 65,
    thrown: {
      name: "InputError",
      code: "WRONG_TYPE",
      file: "prod-testnet-keyfile.json",
      field: "validators",
    },
  },
  {
    name: "the zero address as a publisher",
    args: prepare(),
    setup: (d) => writeFileSync(join(d, PUBS), JSON.stringify([`0x${"0".repeat(40)}`])),
    code: 65,
    thrown: {
      name: "InputError",
      code: "ZERO_PUBLISHER",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  // Unreadable inputs.
  {
    name: "an input that is a directory",
    args: ["process-private-keys", "a-directory"],
    setup: (d) => mkdirSync(join(d, "a-directory")),
    code: 66,
    thrown: { name: "InputMissingError", code: "NOT_A_REGULAR_FILE", file: "a-directory" },
  },
  {
    name: "a production file that is a directory",
    args: ["prepare-deployment", "a-directory", PUBS, "--new-public-keys", NEW],
    setup: (d) => mkdirSync(join(d, "a-directory")),
    code: 66,
    thrown: { name: "InputMissingError", code: "NOT_A_REGULAR_FILE", file: "a-directory" },
  },
  {
    name: "an input that does not exist",
    args: ["add-keys", "missing.json"],
    code: 66,
    error: /^error: missing\.json: does not exist$/m,
    spawned: true,
  },
  // /proc/self/mem opens but fails to read (EIO), even for root: an input that cannot be read.
  {
    name: "an input that cannot be read",
    args: ["process-private-keys", "/proc/self/mem"],
    code: 66,
    thrown: { name: "InputMissingError", code: "UNREADABLE", file: "/proc/self/mem" },
  },
  // Output through a symlink.
  {
    name: "a prepare-deployment --output that is a symlink",
    args: prepare("--output", "linked.new"),
    setup: (d) => symlinkSync(join(d, "target.json"), join(d, "linked.new")),
    code: 73,
    error: /^error: linked\.new: is a symbolic link; refusing to write through it$/m,
    spawned: true,
  },
  {
    name: "a process-private-keys --output that is a symlink, even with --force",
    args: ["process-private-keys", PRIV, "-o", "linked.json", "--force"],
    setup: (d) => {
      writeFileSync(join(d, "target.json"), "{}");
      symlinkSync(join(d, "target.json"), join(d, "linked.json"));
    },
    code: 73,
    thrown: { name: "OutputError", code: "SYMBOLIC_LINK", file: "linked.json" },
  },
  // The private-key file where a public-key file belongs.
  {
    name: "the private-key file passed as the production file",
    args: ["prepare-deployment", PRIV, PUBS, "--new-public-keys", NEW],
    code: 65,
    thrown: {
      name: "InputError",
      code: "PRIVATE_KEY_AS_ADDRESS",
      file: "new-private-keys.json",
      index: 0,
      field: "attester.eth",
    },
  },
];

describe("the bad-input corpus: one clear line, non-zero exit, nothing written", () => {
  it.each(cases)("refuses $name", async ({ args, setup, code, error, thrown, hidden, spawned }) => {
    const dir = copyToTemp(phase2);
    const data = tempDir();
    setup?.(dir);
    const unchanged = recordDirs(dir, data);
    const runner = spawned ? runCli : runInProcess;
    const run = await runner(args, { cwd: dir, env: { ...net.env, XDG_DATA_HOME: data } });
    expectRefusal(run, { code, error, thrown, unchanged, secrets: hidden && { keys: hidden } });
    // No private key of the input file may appear in an error.
    const privateKeys = readFileSync(join(phase2, PRIV), "utf8").match(/0x[0-9a-f]{64}/g) ?? [];
    expectNoPrivateKeyIn(
      run.stderr,
      privateKeys.filter((key) => !/^0x0+$/.test(key)),
    );
  });
});

describe("a UTF-8 byte order mark at the start of an input is accepted and ignored", () => {
  it("prepare-deployment with BOMs in every input writes the same file as without", async () => {
    const dir = copyToTemp(phase2);
    for (const file of [PROD, PUBS, NEW]) edit(file, (t) => `\uFEFF${t}`)(dir);
    const run = await runInProcess(prepare(), {
      cwd: dir,
      env: { ...net.env, XDG_DATA_HOME: tempDir() },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const expected = readFileSync(
      join(ownPhasesDir, "after_phase3", "on-dev-machine", `${PROD}.new`),
      "utf8",
    );
    expect(readFileSync(join(dir, `${PROD}.new`), "utf8")).toBe(expected);
  });

  it("process-private-keys with a BOM writes the same public keys as without", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
    edit(PRIV, (t) => `\uFEFF${t}`)(dir);
    const run = await runInProcess(["process-private-keys", PRIV, "-o", NEW], {
      cwd: dir,
      env: net.env,
    });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, NEW), "utf8")).toBe(readFileSync(join(phase2, NEW), "utf8"));
  });
});
