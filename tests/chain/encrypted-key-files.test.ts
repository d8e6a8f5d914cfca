/**
 * Encrypted key files (every key `{path, password}`, as Aztec's `validator-keys new --password`
 * writes them) are read like raw ones, and every way one can be wrong is refused naming the
 * keystore. One test reads Aztec's own output with its real KDF parameters (scrypt n=2^17,
 * pbkdf2 c=2^18); the others its cheap twin (tests/support/keystores.ts): the same files, keys
 * and password with cheap parameters, so they cost milliseconds instead of seconds.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decryptBn254Keystore } from "@aztec/foundation/crypto/bls/bn254_keystore";
import { Wallet } from "ethers";
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aztecOf } from "../support/test-chain.js";
import { runInProcess } from "../support/cli.js";
import { copyToTemp, tempDir } from "../support/files.js";
import {
  AZTEC_FIXTURE_PASSWORD as PASSWORD,
  aztecFixture as fixture,
  cheapAztecFixture,
  cheapAztecFixtureCopy as fixtureDir,
} from "../support/keystores.js";
import { expectRefusal, recordDirs } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

interface Slot {
  path: string;
  password?: string;
}
interface KeyFile {
  schemaVersion: number;
  validators: { attester: { eth: Slot; bls: Slot }; publisher: Slot; [k: string]: unknown }[];
}

const readKeyFile = (dir: string, name = "new-private-keys.json") =>
  JSON.parse(readFileSync(join(dir, name), "utf8")) as KeyFile;
const writeKeyFile = (dir: string, file: KeyFile, name = "new-private-keys.json") =>
  writeFileSync(join(dir, name), JSON.stringify(file, null, 2));
const rawKeys = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "raw-private-keys.json"), "utf8")) as {
    validators: { attester: { eth: string; bls: string }; publisher: string }[];
  };
const secretKeys = rawKeys(fixture).validators.flatMap((v) => [
  v.attester.eth,
  v.attester.bls,
  v.publisher,
]);
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

/**
 * A refusal (in-process): the exit code, one error line naming the place, no password or key
 * in the output, nothing written.
 */
async function expectRefused(
  dir: string,
  args: string[],
  code: number,
  patterns: RegExp[],
  env: Record<string, string | undefined> = {},
) {
  const unchanged = recordDirs(dir);
  const run = await runInProcess(args, { cwd: dir, env: { ...net.env, ...env } });
  expectRefusal(run, {
    code,
    error: patterns,
    unchanged,
    secrets: { keys: secretKeys, passwords: [PASSWORD] },
  });
  return run;
}

describe("Aztec's own encrypted key file, with its real KDF parameters", () => {
  it("process-private-keys reads Aztec CLI 4.1.2's output (v3 scrypt n=2^17, BN254 pbkdf2 c=2^18) to the same public-key file and printed keys as the raw file", async () => {
    // Its first validator (an attester's eth and BLS keystores, a publisher's): each keystore
    // costs 0.1 to 0.6 s at these parameters; the cheap twin covers the other two.
    const dir = copyToTemp(fixture);
    for (const name of ["new-private-keys.json", "raw-private-keys.json"]) {
      const file = readKeyFile(dir, name);
      writeKeyFile(dir, { ...file, validators: file.validators.slice(0, 1) }, name);
    }
    const [first] = readKeyFile(dir).validators;
    const ethParams = JSON.parse(readFileSync(join(dir, first!.attester.eth.path), "utf8")).crypto
      .kdfparams;
    const blsParams = JSON.parse(readFileSync(join(dir, first!.attester.bls.path), "utf8")).crypto
      .kdf.params;
    expect(ethParams).toMatchObject({ n: 131072, r: 8, p: 1 });
    expect(blsParams).toMatchObject({ c: 262144, prf: "hmac-sha256" });
    const encrypted = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const raw = await runInProcess(["process-private-keys", "raw-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(raw.code, raw.stderr).toBe(0);
    const fromEncrypted = readFileSync(join(dir, "public-new-private-keys.json"), "utf8");
    expect(fromEncrypted).toBe(readFileSync(join(dir, "public-raw-private-keys.json"), "utf8"));
    const publicFile = JSON.parse(fromEncrypted) as { validators: { attester: { eth: string } }[] };
    // The address Aztec's CLI printed when it wrote the fixture.
    expect(publicFile.validators.map((v) => v.attester.eth)).toEqual([
      "0x8C3229EC621644789d7F61FAa82c6d0E5F97d43D",
    ]);
    const printed = (out: string) => out.split("\n").filter((l) => l.includes("validator "));
    expect(printed(encrypted.stdout)).toEqual(printed(raw.stdout));
    expect(printed(encrypted.stdout).length).toBeGreaterThan(0);
    expect(encrypted.stdout + encrypted.stderr).not.toContain(PASSWORD);
  });
});

describe("the cheap twin of Aztec's fixture", () => {
  it("holds the same keys: ethers and Aztec's BN254 decrypter open every keystore to the raw keys, with the same addresses and pubkeys", async () => {
    const twin = cheapAztecFixture();
    const file = readKeyFile(twin);
    // The addresses Aztec's CLI printed when it wrote the fixture.
    expect(
      file.validators.map(
        (v) => JSON.parse(readFileSync(join(twin, v.attester.eth.path), "utf8")).address,
      ),
    ).toEqual([
      "8c3229ec621644789d7f61faa82c6d0e5f97d43d",
      "9586a4833970847aef259ad5bfb7aa8901ddf746",
      "0e9971c0005d91336c1441b8f03c1c4fe5fb4584",
    ]);
    const raw = rawKeys(twin).validators;
    expect(readKeyFile(fixture)).toEqual(file);
    expect(readdirSync(join(twin, "keystores")).sort()).toEqual(
      readdirSync(join(fixture, "keystores")).sort(),
    );
    for (const [i, v] of file.validators.entries()) {
      for (const [slot, key] of [
        [v.attester.eth, raw[i]!.attester.eth],
        [v.publisher, raw[i]!.publisher],
      ] as const) {
        const text = readFileSync(join(twin, slot.path), "utf8");
        const original = JSON.parse(readFileSync(join(fixture, slot.path), "utf8"));
        expect(JSON.parse(text).crypto.kdfparams).toMatchObject({ n: 1024, r: 8, p: 1 });
        expect(JSON.parse(text).address).toBe(original.address);
        expect((await Wallet.fromEncryptedJson(text, PASSWORD)).privateKey).toBe(key);
      }
      const blsPath = join(twin, v.attester.bls.path);
      const bls = JSON.parse(readFileSync(blsPath, "utf8"));
      expect(bls.crypto.kdf.params).toMatchObject({ c: 1024, prf: "hmac-sha256", dklen: 32 });
      expect(bls.pubkey).toBe(
        JSON.parse(readFileSync(join(fixture, v.attester.bls.path), "utf8")).pubkey,
      );
      expect(decryptBn254Keystore(blsPath, PASSWORD)).toBe(raw[i]!.attester.bls);
    }
  });
});

describe("an encrypted key file is read like the raw one (the cheap twin)", () => {
  it("add-keys gives the same calldata as for the raw keys", async () => {
    const dir = fixtureDir();
    const env = { ...net.env, AZTEC_GSE_ADDRESS: gse };
    const encrypted = await runInProcess(["add-keys", "new-private-keys.json"], { cwd: dir, env });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const raw = await runInProcess(["add-keys", "raw-private-keys.json"], { cwd: dir, env });
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
    const viaFile = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "--password-file", "password.txt"],
      { cwd: dir, env: { ...net.env, AZTEC_BUTLER_KEYSTORE_PASSWORD: "not the password" } },
    );
    expect(viaFile.code, viaFile.stderr).toBe(0);
    const viaEnv = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "-o", "again.json"],
      { cwd: dir, env: { ...net.env, AZTEC_BUTLER_KEYSTORE_PASSWORD: PASSWORD } },
    );
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const raw = await runInProcess(
      ["process-private-keys", "raw-private-keys.json", "-o", "raw.json"],
      { cwd: dir, env: net.env },
    );
    expect(raw.code, raw.stderr).toBe(0);
    const expected = readFileSync(join(dir, "raw.json"), "utf8");
    expect(readFileSync(join(dir, "public-new-private-keys.json"), "utf8")).toBe(expected);
    expect(readFileSync(join(dir, "again.json"), "utf8")).toBe(expected);
  });

  it("relative keystore paths are relative to the key file, not the working directory", async () => {
    const dir = fixtureDir();
    const elsewhere = tempDir();
    const run = await runInProcess(
      ["process-private-keys", join(dir, "new-private-keys.json"), "-o", "out.json"],
      { cwd: elsewhere, env: net.env },
    );
    expect(run.code, run.stderr).toBe(0);
    const raw = await runInProcess(
      ["process-private-keys", "raw-private-keys.json", "-o", "raw.json"],
      { cwd: dir, env: net.env },
    );
    expect(raw.code, raw.stderr).toBe(0);
    expect(readFileSync(join(elsewhere, "out.json"), "utf8")).toBe(
      readFileSync(join(dir, "raw.json"), "utf8"),
    );
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
