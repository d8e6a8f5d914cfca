import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aztecOf } from "../support/test-chain.js";
import { projectRoot, runCli } from "../support/cli.js";
import { snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

/** Aztec's own `validator-keys new --password … --encrypted-keystore-dir …` output. */
const fixture = join(projectRoot, "tests", "fixtures", "aztec-encrypted");
const PASSWORD = "correct horse battery staple";

interface Slot {
  path: string;
  password?: string;
}
interface KeyFile {
  schemaVersion: number;
  validators: { attester: { eth: Slot; bls: Slot }; publisher: Slot; [k: string]: unknown }[];
}

/** A temp copy of the fixture (key files and keystores/), as an operator's directory. */
function fixtureDir(): string {
  const dir = tempDir("butler-encrypted-");
  cpSync(fixture, dir, { recursive: true });
  return dir;
}
const readKeyFile = (dir: string, name = "new-private-keys.json") =>
  JSON.parse(readFileSync(join(dir, name), "utf8")) as KeyFile;
const writeKeyFile = (dir: string, file: KeyFile, name = "new-private-keys.json") =>
  writeFileSync(join(dir, name), JSON.stringify(file, null, 2));
const rawKeys = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "raw-private-keys.json"), "utf8")) as {
    validators: { attester: { eth: string; bls: string }; publisher: string }[];
  };
/** A keystore's JSON, edited freely by the corruption cases. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;
const editKeystore = (dir: string, path: string, edit: (json: LooseJson) => void) => {
  const json = JSON.parse(readFileSync(join(dir, path), "utf8")) as LooseJson;
  edit(json);
  writeFileSync(join(dir, path), JSON.stringify(json));
};

let net: RegistryChain;
let gse: string;
beforeAll(async () => {
  net = await startRegistryChain();
  gse = getAddress(aztecOf(net.chain).gse);
});
afterAll(async () => {
  await net?.stop();
});

/** A refusal: the exit code, one error line naming the place, no password, nothing written. */
async function expectRefused(
  dir: string,
  args: string[],
  code: number,
  patterns: RegExp[],
  env: Record<string, string | undefined> = {},
) {
  const before = snapshot(dir);
  const run = await runCli(args, { cwd: dir, env: { ...net.env, ...env } });
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  expect(run.stderr + run.stdout).not.toContain(PASSWORD);
  for (const v of rawKeys(fixture).validators) {
    for (const key of [v.attester.eth, v.attester.bls]) {
      expect(run.stderr + run.stdout).not.toContain(key.slice(2));
    }
  }
  expect(snapshot(dir)).toEqual(before);
  return run;
}

describe("Aztec's encrypted key file is read like the raw one", () => {
  it("process-private-keys writes the same public-key file and prints the same keys", async () => {
    const dir = fixtureDir();
    const encrypted = await runCli(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const raw = await runCli(["process-private-keys", "raw-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(raw.code, raw.stderr).toBe(0);
    const fromEncrypted = readFileSync(join(dir, "public-new-private-keys.json"), "utf8");
    expect(fromEncrypted).toBe(readFileSync(join(dir, "public-raw-private-keys.json"), "utf8"));
    const publicFile = JSON.parse(fromEncrypted) as { validators: { attester: { eth: string } }[] };
    // The addresses Aztec's CLI printed when it wrote the fixture.
    expect(publicFile.validators.map((v) => v.attester.eth)).toEqual([
      "0x8C3229EC621644789d7F61FAa82c6d0E5F97d43D",
      "0x9586A4833970847aef259aD5BFB7aa8901DDf746",
      "0x0e9971c0005D91336c1441b8F03c1C4fe5FB4584",
    ]);
    const printed = (out: string) => out.split("\n").filter((l) => l.includes("validator "));
    expect(printed(encrypted.stdout)).toEqual(printed(raw.stdout));
    expect(encrypted.stdout + encrypted.stderr).not.toContain(PASSWORD);
  });

  it("add-keys gives the same calldata as for the raw keys", async () => {
    const dir = fixtureDir();
    const env = { ...net.env, AZTEC_GSE_ADDRESS: gse };
    const encrypted = await runCli(["add-keys", "new-private-keys.json"], { cwd: dir, env });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const raw = await runCli(["add-keys", "raw-private-keys.json"], { cwd: dir, env });
    expect(raw.code, raw.stderr).toBe(0);
    expect(JSON.parse(encrypted.stdout)).toEqual(JSON.parse(raw.stdout));
    expect(JSON.parse(encrypted.stdout).callData).toMatch(/^0x[0-9a-f]{1000,}$/);
  });

  it("takes a missing password from --password-file, else AZTEC_BUTLER_KEYSTORE_PASSWORD", async () => {
    const dir = fixtureDir();
    const file = readKeyFile(dir);
    for (const v of file.validators) {
      delete v.attester.eth.password;
      delete v.attester.bls.password;
      delete v.publisher.password;
    }
    writeKeyFile(dir, file);
    writeFileSync(join(dir, "password.txt"), `${PASSWORD}\n`);
    const viaFile = await runCli(
      ["process-private-keys", "new-private-keys.json", "--password-file", "password.txt"],
      { cwd: dir, env: net.env },
    );
    expect(viaFile.code, viaFile.stderr).toBe(0);
    const viaEnv = await runCli(
      ["process-private-keys", "new-private-keys.json", "-o", "again.json"],
      { cwd: dir, env: { ...net.env, AZTEC_BUTLER_KEYSTORE_PASSWORD: PASSWORD } },
    );
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const expected = JSON.parse(
      (
        await runCli(["process-private-keys", "raw-private-keys.json", "-o", "raw.json"], {
          cwd: dir,
          env: net.env,
        })
      ).code === 0
        ? readFileSync(join(dir, "raw.json"), "utf8")
        : "null",
    );
    expect(JSON.parse(readFileSync(join(dir, "public-new-private-keys.json"), "utf8"))).toEqual(
      expected,
    );
    expect(JSON.parse(readFileSync(join(dir, "again.json"), "utf8"))).toEqual(expected);
  });

  it("relative keystore paths are relative to the key file, not the working directory", async () => {
    const dir = fixtureDir();
    const run = await runCli(
      ["process-private-keys", join(dir, "new-private-keys.json"), "-o", "out.json"],
      { cwd: tempDir(), env: net.env },
    );
    expect(run.code, run.stderr).toBe(0);
  });
});

describe("encrypted key files are refused, naming the keystore, and nothing is written", () => {
  it("refuses a keystore without any password (no file, no variable, no terminal): exit 78", async () => {
    const dir = fixtureDir();
    const file = readKeyFile(dir);
    delete file.validators[1]!.attester.bls.password;
    writeKeyFile(dir, file);
    await expectRefused(
      dir,
      ["process-private-keys", "new-private-keys.json"],
      78,
      [
        /new-private-keys\.json, validator 1, attester\.bls/,
        /keystores\/keystore-2_/,
        /--password-file/,
      ],
      { AZTEC_BUTLER_KEYSTORE_PASSWORD: undefined },
    );
  });

  it("refuses a wrong eth keystore password (process-private-keys and add-keys)", async () => {
    const dir = fixtureDir();
    const file = readKeyFile(dir);
    file.validators[2]!.attester.eth.password = "not the password";
    writeKeyFile(dir, file);
    const where = [
      /new-private-keys\.json, validator 2, attester\.eth/,
      /keystore-eth-attester_3_/,
      /wrong password/,
    ];
    await expectRefused(dir, ["process-private-keys", "new-private-keys.json"], 65, where);
    await expectRefused(dir, ["add-keys", "new-private-keys.json", "-o", "c.json"], 65, where, {
      AZTEC_GSE_ADDRESS: gse,
    });
  });

  it("refuses a wrong BLS keystore password", async () => {
    const dir = fixtureDir();
    writeFileSync(join(dir, "wrong.txt"), "wrong\n");
    const file = readKeyFile(dir);
    delete file.validators[0]!.attester.bls.password;
    writeKeyFile(dir, file);
    await expectRefused(
      dir,
      ["process-private-keys", "new-private-keys.json", "--password-file", "wrong.txt"],
      65,
      [/validator 0, attester\.bls/, /keystore-1_8cc46a2e/, /wrong password/],
    );
  });

  it("refuses corrupt keystores: flipped ciphertext, truncated JSON, an unsupported kdf or cipher", async () => {
    const cases: { edit: (dir: string, file: KeyFile) => void; field: RegExp; reason: RegExp }[] = [
      {
        edit: (dir, f) =>
          editKeystore(dir, f.validators[1]!.attester.eth.path, (k) => {
            const c = k.crypto.ciphertext as string;
            k.crypto.ciphertext = (c[0] === "0" ? "1" : "0") + c.slice(1);
          }),
        field: /validator 1, attester\.eth/,
        reason: /MAC does not match/,
      },
      {
        edit: (dir, f) => {
          const path = join(dir, f.validators[0]!.attester.bls.path);
          writeFileSync(path, readFileSync(path, "utf8").slice(0, 200));
        },
        field: /validator 0, attester\.bls/,
        reason: /not valid JSON/,
      },
      {
        edit: (dir, f) =>
          editKeystore(dir, f.validators[0]!.attester.eth.path, (k) => (k.crypto.kdf = "argon2id")),
        field: /validator 0, attester\.eth/,
        reason: /kdf must be scrypt or pbkdf2/,
      },
      {
        edit: (dir, f) =>
          editKeystore(
            dir,
            f.validators[2]!.attester.bls.path,
            (k) => (k.crypto.cipher.function = "aes-256-gcm"),
          ),
        field: /validator 2, attester\.bls/,
        reason: /cipher must be aes-128-ctr/,
      },
      {
        edit: (dir, f) =>
          editKeystore(dir, f.validators[2]!.attester.eth.path, (k) => (k.version = 4)),
        field: /validator 2, attester\.eth/,
        reason: /version must be 3/,
      },
      {
        edit: (dir, f) =>
          editKeystore(dir, f.validators[1]!.publisher.path, (k) => delete k.crypto),
        field: /validator 1, publisher/,
        reason: /no crypto section|crypto/,
      },
    ];
    for (const { edit, field, reason } of cases) {
      const dir = fixtureDir();
      edit(dir, readKeyFile(dir));
      await expectRefused(dir, ["process-private-keys", "new-private-keys.json"], 65, [
        field,
        reason,
        /keystores\/keystore-/,
      ]);
    }
  });

  it("refuses a missing keystore file: exit 66", async () => {
    const dir = fixtureDir();
    const file = readKeyFile(dir);
    file.validators[1]!.attester.bls.path = "keystores/nowhere.json";
    writeKeyFile(dir, file);
    await expectRefused(dir, ["process-private-keys", "new-private-keys.json"], 66, [
      /validator 1, attester\.bls/,
      /keystores\/nowhere\.json does not exist/,
    ]);
  });

  it("refuses a keystore whose key is not the address or pubkey it declares", async () => {
    // Validator 0's eth keystore with validator 1's address; validator 2's BLS keystore with
    // validator 1's pubkey: each decrypts fine, to a key that is not the one declared.
    const dir = fixtureDir();
    const f = readKeyFile(dir);
    const address1 = JSON.parse(
      readFileSync(join(dir, f.validators[1]!.attester.eth.path), "utf8"),
    ).address;
    editKeystore(dir, f.validators[0]!.attester.eth.path, (k) => (k.address = address1));
    await expectRefused(dir, ["process-private-keys", "new-private-keys.json"], 65, [
      /validator 0, attester\.eth/,
      /not of the address it declares/,
    ]);
    const dir2 = fixtureDir();
    const pubkey1 = JSON.parse(
      readFileSync(join(dir2, f.validators[1]!.attester.bls.path), "utf8"),
    ).pubkey;
    editKeystore(dir2, f.validators[2]!.attester.bls.path, (k) => (k.pubkey = pubkey1));
    await expectRefused(
      dir2,
      ["add-keys", "new-private-keys.json"],
      65,
      [/validator 2, attester\.bls/, /not of the pubkey it declares/],
      { AZTEC_GSE_ADDRESS: gse },
    );
  });
});

it("the fixture is Aztec's layout: every key an encrypted keystore under keystores/", () => {
  const file = readKeyFile(fixture);
  const slots = file.validators.flatMap((v) => [v.attester.eth, v.attester.bls, v.publisher]);
  expect(slots).toHaveLength(9);
  for (const slot of slots)
    expect(slot).toEqual({ path: expect.stringMatching(/^keystores\//), password: PASSWORD });
  expect(readdirSync(join(fixture, "keystores"))).toHaveLength(9);
});
