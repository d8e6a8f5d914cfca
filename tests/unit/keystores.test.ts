import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet } from "ethers";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  KeystoreProblem,
  decryptEthKeystore,
  encryptEthKeystore,
} from "../../src/core/keys/eth-keystore.js";
import { keystorePasswords } from "../../src/core/keys/keystore-passwords.js";
import { parseSecretStoreSpec } from "../../src/core/keys/secret-store.js";
import { ethKeystoreSchema } from "../../src/types/keystore.js";
import { tempDir } from "../support/files.js";
import {
  AZTEC_FIXTURE_PASSWORD as PASSWORD,
  aztecFixture,
  cheapAztecFixture,
  withAztecKdf,
} from "../support/keystores.js";

const raw = JSON.parse(readFileSync(join(aztecFixture, "raw-private-keys.json"), "utf8")) as {
  validators: { attester: { eth: string }; publisher: string }[];
};
/** A keystore of the cheap twin of Aztec's fixture, unless `fixture` is Aztec's own. */
const readEthKeystore = (name: string, fixture = cheapAztecFixture()) =>
  ethKeystoreSchema.parse(JSON.parse(readFileSync(join(fixture, "keystores", name), "utf8")));
const ethKeystoreNames = readdirSync(join(aztecFixture, "keystores"))
  .filter((n) => n.startsWith("keystore-eth-attester_"))
  .sort();

describe("v3 eth keystores with native scrypt", () => {
  it("decrypts a keystore Aztec's CLI (ethers) wrote, with its real parameters (scrypt n=2^17), to the raw key", async () => {
    const keystore = readEthKeystore(ethKeystoreNames[0]!, aztecFixture);
    expect(keystore.crypto?.kdfparams).toMatchObject({ n: 131072, r: 8, p: 1 });
    expect(await decryptEthKeystore(keystore, PASSWORD)).toBe(raw.validators[0]!.attester.eth);
  });

  it("decrypts every attester keystore of the fixture's cheap twin to the raw keys", async () => {
    const keys = await Promise.all(
      ethKeystoreNames.map((n) => decryptEthKeystore(readEthKeystore(n), PASSWORD)),
    );
    expect(keys).toEqual(raw.validators.map((v) => v.attester.eth));
  });

  it("refuses a wrong password without naming it", async () => {
    const error = await decryptEthKeystore(readEthKeystore(ethKeystoreNames[0]!), "nope").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeystoreProblem);
    expect((error as Error).message).toMatch(/wrong password/);
    expect((error as Error).message).not.toContain("nope");
  });

  it("writes keystores that ethers (the node's decrypter, the oracle) opens to the same key (the test suite's cheap parameters)", async () => {
    const key = raw.validators[0]!.publisher as `0x${string}`;
    const keystore = await encryptEthKeystore(key, "another password");
    expect(keystore.address).toBe(privateKeyToAddress(key).slice(2).toLowerCase());
    expect(keystore.crypto?.kdfparams).toMatchObject({ n: 1024, r: 8, p: 1, dklen: 32 });
    const wallet = await Wallet.fromEncryptedJson(JSON.stringify(keystore), "another password");
    expect(wallet.privateKey).toBe(key);
    expect(await decryptEthKeystore(keystore, "another password")).toBe(key);
  });

  it("writes keystores with Aztec's parameters (scrypt n=2^17, r=8, p=1) outside the test suite's processes", async () => {
    const key = raw.validators[1]!.publisher as `0x${string}`;
    const keystore = await withAztecKdf(() => encryptEthKeystore(key, "another password"));
    expect(keystore.crypto?.kdfparams).toMatchObject({ n: 131072, r: 8, p: 1, dklen: 32 });
    // (Read back at these parameters end to end: tests/chain/keystore-dir-store.test.ts.)
    expect(keystore.address).toBe(privateKeyToAddress(key).slice(2).toLowerCase());
  });

  it("refuses absurd scrypt parameters instead of exhausting memory", async () => {
    const keystore = readEthKeystore(ethKeystoreNames[0]!);
    const params = keystore.crypto!.kdfparams as { n: number };
    params.n = 2 ** 24;
    await expect(decryptEthKeystore(keystore, PASSWORD)).rejects.toThrow(
      /unsupported scrypt parameters/,
    );
  });
});

describe("keystore passwords", () => {
  const notATerminal = { isTTY: false } as NodeJS.ReadStream;
  const where = { file: "k.json", index: 0, field: "attester.eth", keystore: "ks.json" };

  it("--password-file wins (one trailing newline dropped), then the variable", async () => {
    const file = join(tempDir(), "pw");
    writeFileSync(file, "secret with spaces \n");
    const fromFile = keystorePasswords({
      passwordFile: file,
      env: { AZTEC_BUTLER_KEYSTORE_PASSWORD: "env" },
      stdin: notATerminal,
    });
    expect(await fromFile.forInput(where)).toBe("secret with spaces ");
    const fromEnv = keystorePasswords({
      env: { AZTEC_BUTLER_KEYSTORE_PASSWORD: "env" },
      stdin: notATerminal,
    });
    expect(await fromEnv.forInput(where)).toBe("env");
  });

  it("without any source and no terminal: a configuration error (78) naming the keystore", async () => {
    const none = keystorePasswords({ env: {}, stdin: notATerminal });
    const error = (await none.forInput(where).catch((e: unknown) => e)) as Error & {
      exitCode: number;
    };
    expect(error.exitCode).toBe(78);
    expect(error.message).toMatch(
      /^k\.json, validator 0, attester\.eth: keystore ks\.json has no password/,
    );
    await expect(none.forNewKeystores("the keystores in keys")).rejects.toThrow(/needs a password/);
  });

  it("refuses an empty password for new keystores (the node refuses them)", async () => {
    const empty = keystorePasswords({
      env: { AZTEC_BUTLER_KEYSTORE_PASSWORD: "" },
      stdin: notATerminal,
    });
    await expect(empty.forNewKeystores("x")).rejects.toThrow(/empty/);
  });
});

describe("--secret-store values", () => {
  it("parses the three stores and refuses anything else", () => {
    expect(parseSecretStoreSpec("print")).toEqual({ kind: "print" });
    expect(parseSecretStoreSpec("keystore-dir:/a:b")).toEqual({
      kind: "keystore-dir",
      dir: "/a:b",
    });
    expect(parseSecretStoreSpec("gcp:my-project-1")).toEqual({
      kind: "gcp",
      project: "my-project-1",
    });
    for (const bad of ["", "keystore-dir:", "gcp:", "gcp:UPPER", "vault:x", "printx"]) {
      expect(() => parseSecretStoreSpec(bad), bad).toThrow();
    }
  });
});
