import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/core/config.js";
import { keystorePasswords } from "../../src/core/keys/keystore-passwords.js";
import { KeyDerivationPool } from "../../src/core/keys/derivation-pool.js";
import type { AttesterPublicKeys } from "../../src/core/keys/private-keys.js";
import { openKeystoreDirStore } from "../../src/core/keys/secret-stores/keystore-dir.js";
import type { Hex } from "../../src/types/primitives.js";
import { projectRoot, runCli, runInProcess, type CliResult } from "../support/cli.js";
import { tempDir } from "../support/files.js";
import { expectNoPrivateKeyIn, expectRefusal, recordDirs } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import {
  startSecretManagerServer,
  type SecretManagerServer,
} from "../support/secret-manager-server.js";
import { getFreePort } from "../support/test-chain.js";

/**
 * check-secrets on the stores process-private-keys writes: a keystore directory (Aztec's real
 * KDF once, written by process-private-keys; cheap scrypt n=2^10 elsewhere, written by the
 * store's own code) and GCP Secret Manager (the local gRPC server of its v1 API).
 */
const fixture = join(projectRoot, "tests", "fixtures", "aztec-encrypted");
type KeyFile = { validators: { attester: { eth: Hex; bls: Hex } }[] };
const raw = JSON.parse(readFileSync(join(fixture, "raw-private-keys.json"), "utf8")) as KeyFile;
const KEYS = raw.validators.flatMap((v) => [v.attester.eth, v.attester.bls]);
const PASSWORD = "check-secrets test password";
const CHEAP_SCRYPT = { n: 1024, r: 8, p: 1, dklen: 32 };

let net: RegistryChain;
let gcp: SecretManagerServer;
/** A keystore directory of the first two validators, as the store writes it (cheap scrypt). */
let cheapStore: string;
let publicKeys: AttesterPublicKeys[];
beforeAll(async () => {
  [net, gcp] = await Promise.all([startRegistryChain(), startSecretManagerServer()]);
  cheapStore = tempDir("butler-cheap-store-");
  const pool = new KeyDerivationPool(2);
  try {
    const privateKeys = raw.validators.slice(0, 2).map((v) => v.attester);
    publicKeys = await pool.derive(privateKeys);
    writeFileSync(join(cheapStore, "pw.txt"), PASSWORD);
    const store = await openKeystoreDirStore(join(cheapStore, "keys"), {
      config: await loadConfig({ cwd: cheapStore, env: {} }),
      passwords: keystorePasswords({ passwordFile: join(cheapStore, "pw.txt") }),
      pool,
      ethKeystoreScrypt: CHEAP_SCRYPT,
    });
    const silent = {
      result() {},
      info() {},
      warn() {},
      progress() {},
      progressDone() {},
      flush: async () => {},
    };
    await store.store(
      privateKeys.map((keys, index) => ({
        index,
        privateKeys: keys,
        publicKeys: publicKeys[index]!,
      })),
      silent,
    );
  } finally {
    await pool.close();
  }
  writeFileSync(
    join(cheapStore, "public-keys.json"),
    JSON.stringify({
      schemaVersion: 1,
      validators: publicKeys.map((k) => ({
        attester: { eth: k.eth, bls: k.bls },
        feeRecipient: `0x${"0".repeat(64)}`,
      })),
    }),
  );
});
afterAll(async () => {
  await Promise.all([net?.stop(), gcp?.stop()]);
});

/** A copy of the cheap store to break. */
function cheapCopy(): string {
  const dir = tempDir("butler-secrets-");
  cpSync(cheapStore, dir, { recursive: true });
  return dir;
}
const check = (dir: string, args: string[], env: Record<string, string> = {}) =>
  runInProcess(["check-secrets", ...args], { cwd: dir, env });
const jsonOf = (run: CliResult) => JSON.parse(run.stdout) as unknown;
function expectNoSecretIn(run: CliResult) {
  expectNoPrivateKeyIn(run.stdout + run.stderr, KEYS);
  expect(run.stdout + run.stderr).not.toContain(PASSWORD);
}

describe("check-secrets keystore-dir:<dir>", () => {
  it("a directory process-private-keys wrote (Aztec's KDF): every key there, exit 0 (spawned)", async () => {
    const dir = tempDir("butler-secrets-");
    writeFileSync(
      join(dir, "new-private-keys.json"),
      JSON.stringify({ ...raw, validators: raw.validators.slice(0, 1) }),
    );
    writeFileSync(join(dir, "pw.txt"), PASSWORD);
    const stored = await runCli(
      [
        "process-private-keys",
        "new-private-keys.json",
        "--secret-store",
        "keystore-dir:keys",
        "--password-file",
        "pw.txt",
      ],
      // Aztec's real KDF parameters (runCli's default is the test suite's cheap ones).
      { cwd: dir, env: net.env, kdf: "aztec" },
    );
    expect(stored.code, stored.stderr).toBe(0);
    expect(
      JSON.parse(
        readFileSync(
          join(
            dir,
            "keys",
            "eth",
            `${JSON.parse(readFileSync(join(dir, "public-new-private-keys.json"), "utf8")).validators[0].attester.eth}.json`,
          ),
          "utf8",
        ),
      ).crypto.kdfparams.n,
    ).toBe(131072);
    const run = await runCli(
      ["check-secrets", "public-new-private-keys.json", "--secret-store", "keystore-dir:keys"],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      "all 2 keys of 1 attester are in keystore directory keys and derive to the key files' public keys\n",
    );
    expect(run.stderr).toBe("read 2 keys of 1 attester from keystore directory keys\n");
    expectNoSecretIn(run);
  });

  it("an eth keystore moved away: exit 3, the attester's eth key named MISSING (spawned)", async () => {
    const dir = cheapCopy();
    const moved = join(dir, "keys", "eth", `${publicKeys[0]!.eth}.json`);
    renameSync(moved, join(dir, "elsewhere.json"));
    const json = await runCli(
      ["check-secrets", "public-keys.json", "--secret-store", "keystore-dir:keys", "--json"],
      { cwd: dir },
    );
    expect(json.code, json.stderr).toBe(3);
    expect(jsonOf(json)).toEqual({
      ok: false,
      missing: [{ attester: publicKeys[0]!.eth, kind: "eth", reason: "MISSING" }],
    });
    expectNoSecretIn(json);
  });

  it("two BLS keystores swapped: exit 3, both mismatched, each naming the key it holds", async () => {
    const dir = cheapCopy();
    const bls = (i: number) => join(dir, "keys", "bls", `${publicKeys[i]!.eth}.json`);
    renameSync(bls(0), join(dir, "swap.json"));
    renameSync(bls(1), bls(0));
    renameSync(join(dir, "swap.json"), bls(1));
    const text = await check(dir, ["public-keys.json", "--secret-store", "keystore-dir:keys"]);
    expect(text.code, text.stderr).toBe(3);
    const line = (i: number, j: number) =>
      `mismatch: attester ${publicKeys[i]!.eth} (public-keys.json, validator ${i}) bls key: ` +
      `keys/bls/${publicKeys[i]!.eth}.json: holds the key of BLS public key ${publicKeys[j]!.bls}, ` +
      "not of this attester [MISMATCH]\n";
    expect(text.stdout).toBe(
      line(0, 1) +
        line(1, 0) +
        "2 keys of 2 attesters missing or mismatched in keystore directory keys\n",
    );
    expectNoSecretIn(text);
  });

  it("a wrong password: exit 78 and nothing else said (spawned); a password other than the directory's is refused too", async () => {
    const dir = cheapCopy();
    rmSync(join(dir, "keys", "keystore-password.txt"));
    writeFileSync(join(dir, "wrong.txt"), "not the password");
    const unchanged = recordDirs(dir);
    const run = await runCli(
      [
        "check-secrets",
        "public-keys.json",
        "--secret-store",
        "keystore-dir:keys",
        "--password-file",
        "wrong.txt",
      ],
      { cwd: dir },
    );
    expectRefusal(run, {
      code: 78,
      error: "the keystore password opens none of the 4 keystores in keys: a wrong password",
      unchanged,
    });
    // The right one, given: every key there.
    const right = await check(dir, [
      "public-keys.json",
      "--secret-store",
      "keystore-dir:keys",
      "--password-file",
      "pw.txt",
    ]);
    expect(right.code, right.stderr).toBe(0);

    const withFile = cheapCopy();
    writeFileSync(join(withFile, "wrong.txt"), "not the password");
    expectRefusal(
      await check(withFile, [
        "public-keys.json",
        "--secret-store",
        "keystore-dir:keys",
        "--password-file",
        "wrong.txt",
      ]),
      {
        code: 78,
        error:
          /^error: the password given \(--password-file or AZTEC_BUTLER_KEYSTORE_PASSWORD\) is not the one in keys\/keystore-password\.txt/,
      },
    );
    expect(run.stderr + right.stdout + right.stderr).not.toContain("not the password");
  });

  it("refuses what there is nothing to check against: --secret-store print (64), a missing store (66), an attester without its BLS key (65)", async () => {
    const dir = cheapCopy();
    writeFileSync(
      join(dir, "prod.json"),
      JSON.stringify({
        schemaVersion: 1,
        remoteSigner: "http://signer.example:9000",
        validators: [{ attester: publicKeys[0]!.eth, feeRecipient: `0x${"0".repeat(64)}` }],
      }),
    );
    const unchanged = recordDirs(dir);
    expectRefusal(await check(dir, ["public-keys.json", "--secret-store", "print"]), {
      code: 64,
      thrown: { name: "UsageError", code: "NOTHING_TO_CHECK" },
      unchanged,
    });
    expect((await check(dir, ["public-keys.json"])).code).toBe(64);
    expectRefusal(await check(dir, ["public-keys.json", "--secret-store", "keystore-dir:absent"]), {
      code: 66,
      thrown: {
        name: "InputMissingError",
        code: "NOT_FOUND",
        file: "absent",
        field: "--secret-store",
      },
      unchanged,
    });
    expectRefusal(await check(dir, ["prod.json", "--secret-store", "keystore-dir:keys"]), {
      code: 65,
      thrown: {
        name: "InputError",
        code: "MISSING_BLS_KEY",
        file: "prod.json",
        index: 0,
        field: "attester.bls",
      },
      unchanged,
    });
  });
});

describe("check-secrets gcp:<project-id> against a local Secret Manager", () => {
  const PROJECT = "butler-check";
  const name = (kind: "eth" | "bls", attester: string) =>
    `projects/${PROJECT}/secrets/web3signer-testnet-${kind}-${attester.toLowerCase()}`;
  let dir: string;
  let attesters: string[];
  beforeAll(async () => {
    dir = tempDir("butler-gcp-check-");
    cpSync(join(fixture, "raw-private-keys.json"), join(dir, "new-private-keys.json"));
    const stored = await runCli(
      ["process-private-keys", "new-private-keys.json", "--secret-store", `gcp:${PROJECT}`],
      { cwd: dir, env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: gcp.endpoint } },
    );
    expect(stored.code, stored.stderr).toBe(0);
    attesters = (
      JSON.parse(readFileSync(join(dir, "public-new-private-keys.json"), "utf8")) as KeyFile
    ).validators.map((v) => v.attester.eth);
  });
  const run = (args: string[], endpoint = gcp.endpoint) =>
    check(dir, [...args, "--secret-store", `gcp:${PROJECT}`], {
      GCP_SECRET_MANAGER_ENDPOINT: endpoint,
    });

  it("every key there: exit 0; a secret deleted, one holding another key, one holding no key: exit 3, MISSING and MISMATCH", async () => {
    const ok = await run(["public-new-private-keys.json", "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOf(ok)).toEqual({ ok: true, missing: [] });

    const deleted = gcp.secrets.get(name("eth", attesters[0]!))!;
    gcp.secrets.delete(deleted.name);
    // Attester 2's BLS secret gets a new version: attester 1's BLS key; attester 1's eth secret
    // one that is no key (never echoed).
    const changed = [
      [gcp.secrets.get(name("bls", attesters[2]!))!, raw.validators[1]!.attester.bls],
      [gcp.secrets.get(name("eth", attesters[1]!))!, "hunter2-not-a-key"],
    ] as const;
    for (const [secret, value] of changed) {
      secret.versions.push({
        name: `${secret.name}/versions/9`,
        data: Buffer.from(value),
        state: "ENABLED",
      });
    }
    try {
      const json = await run(["public-new-private-keys.json", "new-private-keys.json", "--json"]);
      expect(json.code, json.stderr).toBe(3);
      expect(jsonOf(json)).toEqual({
        ok: false,
        missing: [
          { attester: attesters[0], kind: "eth", reason: "MISSING" },
          { attester: attesters[1], kind: "eth", reason: "MISMATCH" },
          { attester: attesters[2], kind: "bls", reason: "MISMATCH" },
        ],
      });
      const publicFile = JSON.parse(
        readFileSync(join(dir, "public-new-private-keys.json"), "utf8"),
      ) as KeyFile;
      const text = await run(["new-private-keys.json"]);
      expect(text.code).toBe(3);
      expect(text.stdout).toBe(
        `missing: attester ${attesters[0]} (new-private-keys.json, validator 0) eth key: ${name("eth", attesters[0]!)}: no such secret [MISSING]\n` +
          `mismatch: attester ${attesters[1]} (new-private-keys.json, validator 1) eth key: ${name("eth", attesters[1]!)}: ` +
          "does not hold a private key (0x and 64 hex digits) [MISMATCH]\n" +
          `mismatch: attester ${attesters[2]} (new-private-keys.json, validator 2) bls key: ${name("bls", attesters[2]!)}: ` +
          `holds the key of BLS public key ${publicFile.validators[1]!.attester.bls}, not of this attester [MISMATCH]\n` +
          "3 keys of 3 attesters missing or mismatched in GCP Secret Manager (project butler-check)\n",
      );
      for (const r of [json, text]) {
        expectNoSecretIn(r);
        expect(r.stdout + r.stderr).not.toContain("hunter2");
      }
    } finally {
      gcp.secrets.set(deleted.name, deleted);
      for (const [secret] of changed) secret.versions.pop();
    }
  });

  it("Secret Manager unreachable: exit 69 in one line", async () => {
    const closed = `127.0.0.1:${await getFreePort()}`;
    const result = await check(
      dir,
      ["public-new-private-keys.json", "--secret-store", `gcp:${PROJECT}`],
      {
        GCP_SECRET_MANAGER_ENDPOINT: closed,
        RPC_TIMEOUT_MS: "2000",
      },
    );
    expectRefusal(result, {
      code: 69,
      thrown: { name: "SecretStoreUnavailableError", code: "UNREACHABLE" },
    });
  });
});
