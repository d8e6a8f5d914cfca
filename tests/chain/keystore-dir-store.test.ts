/**
 * `--secret-store keystore-dir:<dir>`: encrypted keystores the node and web3signer load. One
 * spawned run writes them with Aztec's real KDF parameters (one validator: scrypt n=2^17 and
 * pbkdf2 c=2^18 cost seconds); the others run in-process with the test suite's cheap ones
 * (src/core/keys/keystore-kdf.ts), the same code and files otherwise.
 */
import { readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decryptBn254Keystore } from "@aztec/foundation/crypto/bls/bn254_keystore";
import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import { KeystoreManager, keystoreSchema } from "@aztec/node-keystore";
import { Wallet } from "ethers";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { snapshot, tempDir } from "../support/files.js";
import { aztecFixture as fixture } from "../support/keystores.js";
import { expectRefusal, recordDirs } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

/** Aztec's own keys in the clear (tests/fixtures/aztec-encrypted, 3 validators). */
const STORE_PASSWORD = "store password for the test";
const raw = JSON.parse(readFileSync(join(fixture, "raw-private-keys.json"), "utf8")) as {
  schemaVersion: number;
  validators: { attester: { eth: string; bls: string }; publisher: string; feeRecipient: string }[];
};
const secrets = {
  keys: raw.validators.flatMap((v) => [v.attester.eth, v.attester.bls]),
  passwords: [STORE_PASSWORD],
};

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
});
afterAll(async () => {
  await net?.stop();
});

/** A working directory with the raw keys (the first `count` validators) and the password file. */
function workDir(count = raw.validators.length): string {
  const dir = tempDir("butler-store-");
  writeFileSync(
    join(dir, "new-private-keys.json"),
    JSON.stringify({ ...raw, validators: raw.validators.slice(0, count) }, null, 2),
  );
  writeFileSync(join(dir, "pw.txt"), `${STORE_PASSWORD}\n`);
  return dir;
}
const storeArgs = (extra: string[] = []) => [
  "process-private-keys",
  "new-private-keys.json",
  "--secret-store",
  "keystore-dir:keys",
  "--password-file",
  "pw.txt",
  ...extra,
];
const store = (dir: string, extra: string[] = [], env: Record<string, string | undefined> = {}) =>
  runInProcess(storeArgs(extra), { cwd: dir, env: { ...net.env, ...env } });
const mode = (path: string) => statSync(path).mode & 0o777;
function expectNoSecretIn(text: string) {
  expect(text).not.toContain(STORE_PASSWORD);
  for (const v of raw.validators) {
    for (const key of [v.attester.eth, v.attester.bls]) expect(text).not.toContain(key.slice(2));
  }
}

/**
 * What a store run must leave: directories 0700 and files 0600; per attester an eth v3 keystore
 * with its address, web3signer's key configuration and a BLS keystore, all with the KDF
 * parameters given, the BLS ones opened by Aztec's BN254 decrypter; the same public file as the
 * print store. With `oracles`, also ethers (the node's v3 decrypter) opening each eth keystore
 * and Aztec's node (KeystoreManager) loading them all to the same attesters: pure-JavaScript
 * scrypt, seconds a keystore at Aztec's parameters, so only with the cheap ones (the format is
 * the same).
 */
async function expectStoreWritten(
  dir: string,
  run: CliResult,
  count: number,
  kdf: { n: number; c: number; oracles: boolean },
): Promise<void> {
  expect(run.code, run.stderr).toBe(0);
  expectNoSecretIn(run.stdout + run.stderr);
  expect(run.stderr).toMatch(
    new RegExp(`stored ${count} validators?' keys in keys .*read back and verified`),
  );

  // The same public file as the print store writes.
  const printed = await runInProcess(
    ["process-private-keys", "new-private-keys.json", "-o", "p.json"],
    { cwd: dir, env: net.env },
  );
  expect(printed.code, printed.stderr).toBe(0);
  const publicFile = JSON.parse(
    readFileSync(join(dir, "public-new-private-keys.json"), "utf8"),
  ) as { validators: { attester: { eth: string; bls: string } }[] };
  expect(publicFile).toEqual(JSON.parse(readFileSync(join(dir, "p.json"), "utf8")));
  const addresses = publicFile.validators.map((v) => v.attester.eth);
  expect(addresses).toHaveLength(count);

  const keys = join(dir, "keys");
  expect(mode(keys)).toBe(0o700);
  expect(mode(join(keys, "eth"))).toBe(0o700);
  expect(mode(join(keys, "bls"))).toBe(0o700);
  expect(readdirSync(keys).sort()).toEqual(["bls", "eth", "keystore-password.txt"]);
  expect(readFileSync(join(keys, "keystore-password.txt"), "utf8")).toBe(STORE_PASSWORD);
  expect(readdirSync(join(keys, "eth")).sort()).toEqual(
    addresses.flatMap((a) => [`${a}.json`, `${a}.yaml`]).sort(),
  );
  expect(readdirSync(join(keys, "bls")).sort()).toEqual(addresses.map((a) => `${a}.json`).sort());
  for (const sub of ["eth", "bls"]) {
    for (const name of readdirSync(join(keys, sub)))
      expect(mode(join(keys, sub, name))).toBe(0o600);
  }
  expect(mode(join(keys, "keystore-password.txt"))).toBe(0o600);

  for (const [i, address] of addresses.entries()) {
    // eth: v3 with the parameters given and its address; ethers (the node's decrypter) opens it.
    const ethPath = join(keys, "eth", `${address}.json`);
    const v3 = JSON.parse(readFileSync(ethPath, "utf8"));
    expect(v3).toMatchObject({
      version: 3,
      address: address.slice(2).toLowerCase(),
      crypto: {
        cipher: "aes-128-ctr",
        kdf: "scrypt",
        kdfparams: { n: kdf.n, r: 8, p: 1, dklen: 32 },
      },
    });
    if (kdf.oracles) {
      const wallet = await Wallet.fromEncryptedJson(readFileSync(ethPath, "utf8"), STORE_PASSWORD);
      expect(wallet.privateKey).toBe(raw.validators[i]!.attester.eth);
    }
    // bls: Aztec's BN254 keystore, pubkey the compressed G1 key; Aztec's own decrypter opens it.
    const blsPath = join(keys, "bls", `${address}.json`);
    const bls = JSON.parse(readFileSync(blsPath, "utf8"));
    expect(Object.keys(bls)).toEqual([
      "crypto",
      "description",
      "pubkey",
      "path",
      "uuid",
      "version",
    ]);
    expect(bls.pubkey).toBe(publicFile.validators[i]!.attester.bls);
    expect(bls.crypto.kdf).toMatchObject({
      function: "pbkdf2",
      params: { c: kdf.c, prf: "hmac-sha256", dklen: 32 },
    });
    const blsKey = decryptBn254Keystore(blsPath, STORE_PASSWORD);
    expect(blsKey).toBe(raw.validators[i]!.attester.bls);
    expect(await computeBn254G1PublicKeyCompressed(blsKey)).toBe(bls.pubkey);
    // web3signer's key configuration, field by field.
    const yaml = readFileSync(join(keys, "eth", `${address}.yaml`), "utf8");
    const fields = Object.fromEntries(
      yaml
        .trim()
        .split("\n")
        .map((line) => {
          const [, key, value] = /^(\w+): (.*)$/.exec(line)!;
          return [key!, JSON.parse(value!) as string];
        }),
    );
    expect(fields).toEqual({
      type: "file-keystore",
      keyType: "SECP256K1",
      keystoreFile: ethPath,
      keystorePasswordFile: join(keys, "keystore-password.txt"),
    });
  }

  if (!kdf.oracles) return;
  // Aztec's node: a key file whose attesters point at these keystores loads in its
  // KeystoreManager, which decrypts the eth keystores to the same attester addresses.
  const nodeFile = {
    schemaVersion: 1,
    validators: addresses.map((address, i) => ({
      attester: {
        eth: { path: join(keys, "eth", `${address}.json`), password: STORE_PASSWORD },
        bls: { path: join(keys, "bls", `${address}.json`), password: STORE_PASSWORD },
      },
      feeRecipient: raw.validators[i]!.feeRecipient,
    })),
  };
  const manager = new KeystoreManager(keystoreSchema.parse(nodeFile));
  await manager.validateSigners();
  expect(manager.getValidatorCount()).toBe(count);
  for (const [i, address] of addresses.entries()) {
    const signers = manager.createAttesterSigners(i);
    expect(
      signers.map((s: { address: { toString(): string } }) => s.address.toString().toLowerCase()),
    ).toEqual([address.toLowerCase()]);
    // The BLS keystore the node is pointed at decrypts (Aztec's own code) to the same key.
    const slot = manager.getValidator(i).attester as { bls: { path: string; password: string } };
    expect(
      await computeBn254G1PublicKeyCompressed(
        decryptBn254Keystore(slot.bls.path, slot.bls.password),
      ),
    ).toBe(publicFile.validators[i]!.attester.bls);
  }
}

describe("--secret-store keystore-dir:<dir>", () => {
  it("writes keystores with Aztec's real parameters (scrypt n=2^17, pbkdf2 c=2^18), read back and verified, and web3signer configs (0700/0600), then the public file", async () => {
    const dir = workDir(1);
    const run = await runCli(storeArgs(), { cwd: dir, env: net.env, kdf: "aztec" });
    await expectStoreWritten(dir, run, 1, { n: 131072, c: 262144, oracles: false });
  });

  it("writes encrypted keystores and web3signer configs (0700/0600) that Aztec's node and ethers load, then the public file (cheap KDF parameters)", async () => {
    const dir = workDir();
    await expectStoreWritten(dir, await store(dir), 3, { n: 1024, c: 1024, oracles: true });
  });

  it("a re-run verifies and keeps what is there, byte for byte, and writes the public file again", async () => {
    const dir = workDir();
    expect((await store(dir)).code).toBe(0);
    const before = snapshot(join(dir, "keys"));
    // No --password-file: the directory's own password file is used.
    const again = await runInProcess(
      [
        "process-private-keys",
        "new-private-keys.json",
        "--secret-store",
        "keystore-dir:keys",
        "-o",
        "again.json",
      ],
      { cwd: dir, env: net.env },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 new, 3 already there and verified/);
    expect(snapshot(join(dir, "keys"))).toEqual(before);
    expect(readFileSync(join(dir, "again.json"), "utf8")).toBe(
      readFileSync(join(dir, "public-new-private-keys.json"), "utf8"),
    );
  });

  it("refuses a --password-file other than the directory's own password: exit 78, nothing written", async () => {
    const dir = workDir();
    expect((await store(dir)).code).toBe(0);
    writeFileSync(join(dir, "other-pw.txt"), "another password\n");
    const unchanged = recordDirs(dir);
    const run = await runInProcess(
      [
        "process-private-keys",
        "new-private-keys.json",
        "--secret-store",
        "keystore-dir:keys",
        "--password-file",
        "other-pw.txt",
        "-o",
        "again.json",
      ],
      { cwd: dir, env: net.env },
    );
    expectRefusal(run, {
      code: 78,
      thrown: { name: "ConfigError", code: "WRONG_PASSWORD" },
      unchanged,
      secrets: { ...secrets, passwords: [...secrets.passwords, "another password"] },
    });
  });

  it("completes a store another run left incomplete (missing entries are added, present ones kept)", async () => {
    const dir = workDir();
    expect((await store(dir)).code).toBe(0);
    const addresses = readdirSync(join(dir, "keys", "bls")).map((n) => n.replace(/\.json$/, ""));
    const kept = readFileSync(join(dir, "keys", "bls", `${addresses[0]}.json`), "utf8");
    unlinkSync(join(dir, "keys", "bls", `${addresses[1]}.json`));
    unlinkSync(join(dir, "keys", "eth", `${addresses[2]}.yaml`));
    unlinkSync(join(dir, "public-new-private-keys.json"));
    const run = await store(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/2 new, 1 already there/);
    expect(readdirSync(join(dir, "keys", "bls"))).toHaveLength(3);
    expect(readdirSync(join(dir, "keys", "eth"))).toHaveLength(6);
    expect(readFileSync(join(dir, "keys", "bls", `${addresses[0]}.json`), "utf8")).toBe(kept);
    // The re-added BLS keystore holds that attester's BLS key.
    const readded = raw.validators.find(
      (v) => privateKeyToAddress(v.attester.eth as Hex) === addresses[1],
    );
    expect(
      decryptBn254Keystore(join(dir, "keys", "bls", `${addresses[1]}.json`), STORE_PASSWORD),
    ).toBe(readded!.attester.bls);
  });

  it("refuses a keystore of another key under an attester's name: exit 73, nothing written, no public file", async () => {
    const dir = workDir();
    expect((await store(dir, ["-o", "first.json"])).code).toBe(0);
    // validator 0's eth keystore file now holds validator 1's key.
    const eth = join(dir, "keys", "eth");
    const names = readdirSync(eth).filter((n) => n.endsWith(".json"));
    const address0 = JSON.parse(readFileSync(join(dir, "first.json"), "utf8")).validators[0]
      .attester.eth;
    const other = names.find((n) => n !== `${address0}.json`)!;
    writeFileSync(join(eth, `${address0}.json`), readFileSync(join(eth, other)));
    const unchanged = recordDirs(dir);
    const run = await store(dir);
    expectRefusal(run, {
      code: 73,
      thrown: {
        name: "OutputError",
        code: "EXISTS_WITH_OTHER_CONTENT",
        file: "keys/eth/0x8C3229EC621644789d7F61FAa82c6d0E5F97d43D.json",
        index: 0,
        field: "attester.eth",
      },
      unchanged,
      linesBefore: true,
      secrets,
    });
  });

  it("refuses without a password (no file, no variable, no terminal): exit 78, nothing written", async () => {
    const dir = workDir();
    const unchanged = recordDirs(dir);
    const run = await runCli(
      ["process-private-keys", "new-private-keys.json", "--secret-store", "keystore-dir:keys"],
      { cwd: dir, env: net.env },
    );
    expectRefusal(run, { code: 78, error: /needs a password: give --password-file/, unchanged });
  });

  it("refuses an unknown store: exit 64", async () => {
    const dir = workDir();
    const unchanged = recordDirs(dir);
    const run = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "--secret-store", "vault:x"],
      { cwd: dir, env: net.env },
    );
    expectRefusal(run, {
      code: 64,
      thrown: { name: "CommanderError", code: "commander.invalidArgument" },
      unchanged,
    });
  });
});
