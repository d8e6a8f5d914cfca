import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexToString, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { tempDir } from "../support/files.js";
import { recordDirs, expectRefusal } from "../support/refusal.js";
import { startRpcProxy, type RpcCall, type RpcProxy } from "../support/rpc-proxy.js";
import { getFreePort, startTestChain, type TestChain } from "../support/test-chain.js";
import {
  makeTestCertificates,
  opensslMissingReason,
  startTlsSigner,
  type TestCertificates,
  type TlsSigner,
} from "../support/tls-signer.js";

/**
 * check-signer against a real eth1 JSON-RPC signer: anvil started with `--mnemonic <words>
 * --accounts 8` holds exactly that mnemonic's first 8 accounts and answers eth_accounts and
 * eth_sign as web3signer does. Accounts 20 and 21 of the same mnemonic are not held.
 */
const MNEMONIC = "guide symptom wing shift try sorry actual breeze anxiety version medal firm";
const HELD = 8;
const account = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i }).address;
const [A0, A1, A2, A3, P0, P1] = [0, 1, 2, 3, 4, 5].map(account) as [Hex, Hex, Hex, Hex, Hex, Hex];
const NOT_HELD_ATTESTER = account(20);
const NOT_HELD_PUBLISHER = account(21);
const FEE = `0x${"0".repeat(64)}`;

let signer: TestChain;
let proxy: RpcProxy;
/** Every JSON-RPC call the proxy received, in order. */
const seen: RpcCall[] = [];
beforeAll(async () => {
  signer = await startTestChain({ aztecL1: false, mnemonic: MNEMONIC, accounts: HELD });
  proxy = await startRpcProxy(signer.rpcUrl, { onRequest: (calls) => seen.push(...calls) });
});
afterAll(async () => {
  await proxy?.stop();
  await signer?.stop();
});

interface Validator {
  attester: unknown;
  publisher?: unknown;
  remoteSigner?: unknown;
}
function keyFile(
  dir: string,
  name: string,
  remoteSigner: unknown,
  validators: Validator[],
): string {
  const content = {
    schemaVersion: 1,
    ...(remoteSigner === undefined ? {} : { remoteSigner }),
    validators: validators.map((v) => ({ ...v, feeRecipient: FEE })),
  };
  writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
  return name;
}
/** Four validators, publishers P0 and P1 round-robin (prepare-deployment's shape). */
const fourValidators = (publishers: readonly string[] = [P0, P1]): Validator[] =>
  [A0, A1, A2, A3].map((a, i) => ({
    attester: { eth: a },
    publisher: publishers[i % publishers.length],
  }));

const inProcess = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runInProcess(["check-signer", ...args], { cwd, env });
const jsonOf = (run: CliResult) => JSON.parse(run.stdout) as unknown;
function resetProxy() {
  proxy.setMode({ kind: "forward" });
  proxy.resetStats();
  seen.length = 0;
}

describe("check-signer", () => {
  it("every attester and publisher held: exit 0, one eth_accounts and every challenge in one batch (spawned)", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    const file = keyFile(dir, "prod.json.new", proxy.url, fourValidators());
    const run = await runCli(["check-signer", file], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      "every account is held: 4 attesters and 2 publishers, each listed by its signer and signing as itself\n",
    );
    expect(run.stderr).toBe(
      `signer ${proxy.url}: 8 accounts listed; 6 accounts of the files asked, 6 challenges signed (2 HTTP requests)\n`,
    );
    expect(proxy.stats.methods).toEqual({ eth_accounts: 1, eth_sign: 6 });
    expect(proxy.stats.httpRequests).toBe(2);
    // Each challenge: fresh random, naming the tool and the address it asks about.
    const challenges = seen
      .filter((c) => c.method === "eth_sign")
      .map((c) => c.params as [string, Hex]);
    expect(challenges.map(([address]) => address)).toEqual(
      [A0, P0, A1, P1, A2, A3].map((a) => a.toLowerCase()),
    );
    for (const [address, data] of challenges) {
      expect(hexToString(data)).toMatch(
        new RegExp(
          `^aztec-butler check-signer: can ${address}? sign\\? challenge 0x[0-9a-f]{64}$`,
          "i",
        ),
      );
    }
    expect(new Set(challenges.map(([, data]) => data)).size).toBe(6);
  });

  it("an attester and a publisher missing: exit 3, each named with role, file and signer (spawned); --json exactly", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    const validators = fourValidators();
    validators[1] = { attester: { eth: NOT_HELD_ATTESTER }, publisher: NOT_HELD_PUBLISHER };
    const file = keyFile(dir, "prod.json.new", proxy.url, validators);
    const run = await runCli(["check-signer", file], { cwd: dir });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toBe(
      `missing: attester ${NOT_HELD_ATTESTER} (prod.json.new, validator 1): not listed by ${proxy.url} [NOT_LISTED]\n` +
        `missing: publisher ${NOT_HELD_PUBLISHER} (prod.json.new, validator 1): not listed by ${proxy.url} [NOT_LISTED]\n` +
        "2 accounts not held (of 4 attesters and 3 publishers)\n",
    );
    // Accounts the signer does not list are not asked to sign.
    expect(proxy.stats.methods).toEqual({ eth_accounts: 1, eth_sign: 5 });

    const json = await inProcess([file, "--json"], dir);
    expect(json.code).toBe(3);
    expect(jsonOf(json)).toEqual({
      ok: false,
      signers: [{ url: proxy.url, reachable: true, accounts: HELD }],
      missing: [
        {
          address: NOT_HELD_ATTESTER,
          role: "attester",
          file,
          signer: proxy.url,
          reason: "NOT_LISTED",
        },
        {
          address: NOT_HELD_PUBLISHER,
          role: "publisher",
          file,
          signer: proxy.url,
          reason: "NOT_LISTED",
        },
      ],
    });
  });

  it("a signer that lists an account but signs with another key, or refuses to sign: WRONG_SIGNATURE, exit 3", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    const file = keyFile(dir, "prod.json.new", proxy.url, fourValidators());
    // The signer's key configuration maps A1's name to A2's key file.
    proxy.setMode({
      kind: "rewrite-request",
      rewrite: (call) =>
        call.method === "eth_sign" && (call.params as string[])[0] === A1.toLowerCase()
          ? { ...call, params: [A2, (call.params as string[])[1]] }
          : call,
    });
    const wrong = await inProcess([file], dir);
    expect(wrong.code, wrong.stderr).toBe(3);
    expect(wrong.stdout).toBe(
      `missing: attester ${A1} (prod.json.new, validator 1): listed by ${proxy.url}, but it signs as ${A2} [WRONG_SIGNATURE]\n` +
        "1 account not held (of 4 attesters and 2 publishers)\n",
    );

    // A signer that lists a key it has no key file for: anvil refuses to sign for it.
    const file2 = keyFile(dir, "other.json.new", proxy.url, [
      { attester: { eth: NOT_HELD_ATTESTER }, publisher: P0 },
    ]);
    const listedAccounts = [...Array(HELD).keys()].map((i) => account(i).toLowerCase());
    proxy.setMode({
      kind: "result",
      method: "eth_accounts",
      result: [...listedAccounts, NOT_HELD_ATTESTER.toLowerCase()],
    });
    const refused = await inProcess([file2, "--json"], dir);
    expect(refused.code, refused.stderr).toBe(3);
    expect(jsonOf(refused)).toEqual({
      ok: false,
      signers: [{ url: proxy.url, reachable: true, accounts: HELD + 1 }],
      missing: [
        {
          address: NOT_HELD_ATTESTER,
          role: "attester",
          file: file2,
          signer: proxy.url,
          reason: "WRONG_SIGNATURE",
        },
      ],
    });
    const text = await inProcess([file2], dir);
    expect(text.stdout).toMatch(
      new RegExp(
        `^missing: attester ${NOT_HELD_ATTESTER} \\(other.json.new, validator 0\\): listed by ${proxy.url.replace(/\./g, "\\.")}, which refuses to sign with it \\(.+\\) \\[WRONG_SIGNATURE\\]\n`,
      ),
    );
  });

  it("a signer down: exit 69 in one line (spawned); --json marks it unreachable and each of its accounts", async () => {
    const dir = tempDir("butler-signer-");
    const down = `http://127.0.0.1:${await getFreePort()}`;
    const file = keyFile(dir, "prod.json.new", down, fourValidators().slice(0, 1));
    const env = { RPC_RETRIES: "0" };
    const run = await runCli(["check-signer", file], { cwd: dir, env });
    expect(run.code).toBe(69);
    expect(run.stdout).toBe(
      `missing: attester ${A0} (prod.json.new, validator 0): its signer ${down} cannot be asked [SIGNER_UNREACHABLE]\n` +
        `missing: publisher ${P0} (prod.json.new, validator 0): its signer ${down} cannot be asked [SIGNER_UNREACHABLE]\n` +
        "2 accounts not held (of 1 attester and 1 publisher)\n",
    );
    const errors = run.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toEqual([
      `error: asking for its accounts (eth_accounts): cannot reach remote signer ${down} (connection refused); ` +
        "check the key file's remoteSigner; none of its accounts counts as held",
    ]);
    expect(run.stderr).not.toMatch(/internal error|^\s+at /m);

    const json = await inProcess([file, "--json"], dir, env);
    expect(json.code).toBe(69);
    expect(jsonOf(json)).toEqual({
      ok: false,
      signers: [{ url: down, reachable: false, accounts: null }],
      missing: [
        { address: A0, role: "attester", file, signer: down, reason: "SIGNER_UNREACHABLE" },
        { address: P0, role: "publisher", file, signer: down, reason: "SIGNER_UNREACHABLE" },
      ],
    });
  });

  it("a signer answering nonsense is untrusted (exit 69), never held", async () => {
    const dir = tempDir("butler-signer-");
    const file = keyFile(dir, "prod.json.new", proxy.url, fourValidators());
    const zeroSignature = `0x${"00".repeat(65)}`;
    const cases = [
      [
        { kind: "result", method: "eth_accounts", result: "0xnot-a-list" },
        /answered eth_accounts with a string, not a list of addresses/,
      ],
      [
        { kind: "result", method: "eth_accounts", result: ["everyone"] },
        /answered eth_accounts with a list holding something other than addresses/,
      ],
      [
        { kind: "result", method: "eth_sign", result: "0x1234" },
        /answered eth_sign with a string, not a 65-byte signature/,
      ],
      [
        { kind: "result", method: "eth_sign", result: zeroSignature },
        /answered eth_sign for 0x[0-9a-fA-F]{40} with a signature no key made/,
      ],
      [
        { kind: "batch-fault", fault: "missing" },
        /answered a malformed batch \(1 of 6 answers missing/,
      ],
    ] as const;
    for (const [mode, message] of cases) {
      resetProxy();
      proxy.setMode(mode);
      const run = await inProcess([file, "--json"], dir, { RPC_RETRIES: "1" });
      expect(run.code, JSON.stringify(mode)).toBe(69);
      const doc = jsonOf(run) as {
        ok: boolean;
        signers: { reachable: boolean }[];
        missing: { reason: string }[];
      };
      expect(doc.ok).toBe(false);
      expect(doc.signers[0]!.reachable).toBe(false);
      expect(doc.missing.map((m) => m.reason)).toEqual(Array(6).fill("SIGNER_UNREACHABLE"));
      const errors = run.stderr.split("\n").filter((l) => l.startsWith("error:"));
      expect(errors, JSON.stringify(mode)).toHaveLength(1);
      expect(errors[0]).toMatch(message);
    }
    resetProxy();
  });

  it("each account's signer as the node picks it: the account's remoteSignerUrl, else its validator's remoteSigner, else the file's", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    // The file's signer (the proxy) lists nothing; validator 1's own and account A2's own are anvil.
    proxy.setMode({ kind: "result", method: "eth_accounts", result: [] });
    const file = keyFile(dir, "prod.json.new", proxy.url, [
      { attester: { eth: A0 }, publisher: P0 },
      { attester: { eth: A1 }, publisher: P1, remoteSigner: signer.rpcUrl },
      { attester: { eth: { address: A2, remoteSignerUrl: signer.rpcUrl } }, publisher: P0 },
    ]);
    const run = await inProcess([file, "--json"], dir);
    expect(run.code, run.stderr).toBe(3);
    expect(jsonOf(run)).toEqual({
      ok: false,
      signers: [
        { url: proxy.url, reachable: true, accounts: 0 },
        { url: signer.rpcUrl, reachable: true, accounts: HELD },
      ],
      missing: [
        { address: A0, role: "attester", file, signer: proxy.url, reason: "NOT_LISTED" },
        { address: P0, role: "publisher", file, signer: proxy.url, reason: "NOT_LISTED" },
      ],
    });
    const text = await inProcess([file], dir);
    expect(text.stdout).toContain(
      `missing: publisher ${P0} (prod.json.new, validators 0, 2): not listed by ${proxy.url} [NOT_LISTED]\n`,
    );
    resetProxy();
  });

  it("high-availability files: only the second server's publisher missing is reported, for that file", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    const a = keyFile(dir, "A_prod.json.new", proxy.url, fourValidators([P0]));
    const b = keyFile(dir, "B_prod.json.new", proxy.url, fourValidators([NOT_HELD_PUBLISHER]));
    const run = await inProcess([a, b, "--json"], dir);
    expect(run.code, run.stderr).toBe(3);
    expect(jsonOf(run)).toEqual({
      ok: false,
      signers: [{ url: proxy.url, reachable: true, accounts: HELD }],
      missing: [
        {
          address: NOT_HELD_PUBLISHER,
          role: "publisher",
          file: b,
          signer: proxy.url,
          reason: "NOT_LISTED",
        },
      ],
    });
    // The attesters both files share are asked once.
    expect(proxy.stats.methods).toEqual({ eth_accounts: 1, eth_sign: 5 });
  });

  it("secrets in a signer's URL (user:password@, a token in the path) are never printed", async () => {
    resetProxy();
    const dir = tempDir("butler-signer-");
    const { host } = new URL(proxy.url);
    const secretUrl = `http://operator:hunter2-pw@${host}/keys/SECRET-TOKEN-42`;
    const shown = `http://${host}/…`;
    const validators = fourValidators();
    validators[0] = { attester: { eth: NOT_HELD_ATTESTER }, publisher: P0 };
    const file = keyFile(dir, "prod.json.new", secretUrl, validators);
    const runs = [await inProcess([file], dir), await inProcess([file, "--json"], dir)];
    const down = keyFile(
      dir,
      "down.json.new",
      `http://operator:hunter2-pw@127.0.0.1:${await getFreePort()}/SECRET-TOKEN-42`,
      validators,
    );
    runs.push(await inProcess([down], dir, { RPC_RETRIES: "0" }));
    runs.push(
      await runInProcess(["--verbose", "check-signer", down], {
        cwd: dir,
        env: { RPC_RETRIES: "0" },
      }),
    );
    expect(runs.map((r) => r.code)).toEqual([3, 3, 69, 69]);
    for (const run of runs) {
      expect(run.stdout + run.stderr).not.toMatch(/hunter2|SECRET-TOKEN|operator/);
    }
    expect(jsonOf(runs[1]!)).toMatchObject({
      signers: [{ url: shown }],
      missing: [{ signer: shown }],
    });
  });

  it("refuses key files the node would not run, in one line: missing, private keys, no signer for an account, a remoteSigner that is no URL", async () => {
    const dir = tempDir("butler-signer-");
    const noSigner = keyFile(dir, "no-signer.json", undefined, [
      { attester: { eth: A0 }, publisher: P0, remoteSigner: signer.rpcUrl },
      { attester: { eth: A1 }, publisher: P0 },
    ]);
    const badUrl = keyFile(dir, "bad-url.json", "signer:9000", fourValidators());
    const privateKeys = keyFile(dir, "private.json", signer.rpcUrl, [
      { attester: { eth: `0x${"11".repeat(32)}`, bls: `0x${"22".repeat(32)}` }, publisher: P0 },
    ]);
    const unchanged = recordDirs(dir);
    expectRefusal(await inProcess(["absent.json"], dir), {
      code: 66,
      thrown: { name: "InputMissingError", code: "NOT_FOUND", file: "absent.json" },
      unchanged,
    });
    expectRefusal(await inProcess([noSigner], dir), {
      code: 65,
      thrown: {
        name: "InputError",
        code: "NO_REMOTE_SIGNER",
        file: "no-signer.json",
        index: 1,
        field: "attester.eth",
      },
      unchanged,
    });
    expectRefusal(await inProcess([badUrl], dir), {
      code: 65,
      thrown: {
        name: "InputError",
        code: "INVALID_REMOTE_SIGNER",
        file: "bad-url.json",
        field: "remoteSigner",
      },
      unchanged,
    });
    expectRefusal(await inProcess([privateKeys], dir), {
      code: 65,
      thrown: { name: "InputError", code: "PRIVATE_KEY_FILE_GIVEN", file: "private.json" },
      unchanged,
    });
    expect((await inProcess([], dir)).code).toBe(64);
  });
});

const noOpenssl = opensslMissingReason();
if (noOpenssl) console.log(noOpenssl);

describe.skipIf(noOpenssl !== undefined)(
  "check-signer through TLS with a client certificate",
  () => {
    const PASSWORD = "p12-pass-word";
    let certs: TestCertificates;
    let tls: TlsSigner;
    let dir: string;
    beforeAll(async () => {
      dir = tempDir("butler-tls-");
      certs = makeTestCertificates(dir, PASSWORD);
      tls = await startTlsSigner(signer.rpcUrl, certs);
      copyFileSync(certs.clientP12Path, join(dir, "signer-client.p12"));
    });
    afterAll(() => tls?.stop());

    const withCert = (certPath: string, certPass: string) => ({
      remoteSignerUrl: tls.url,
      certPath,
      certPass,
    });

    it("{remoteSignerUrl, certPath, certPass}: the PKCS#12 certificate (relative to the key file) opens the signer, exit 0", async () => {
      const file = keyFile(
        dir,
        "prod.json.new",
        withCert("signer-client.p12", PASSWORD),
        fourValidators(),
      );
      const before = tls.forwarded;
      const run = await inProcess([file], dir);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^every account is held: 4 attesters and 2 publishers/);
      expect(tls.forwarded - before).toBe(2);
      // Aztec's node 4.1.2 would not present it: said, once.
      expect(run.stderr).toContain(
        "warning: prod.json.new: certPath is used here, but Aztec's node (@aztec/node-keystore 4.1.2) connects",
      );
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    });

    it("without the certificate the signer cannot be asked (69); a wrong certPass (65) or certPath (66) is named, never the password", async () => {
      const env = { RPC_RETRIES: "0" };
      const plain = keyFile(dir, "plain.json.new", tls.url, fourValidators());
      const run = await inProcess([plain], dir, env);
      expect(run.code).toBe(69);
      expect(run.stderr).toMatch(
        /^error: asking for its accounts \(eth_accounts\): cannot reach remote signer https:\/\/127\.0\.0\.1:\d+ \(/m,
      );

      // The CA that signed the signer's certificate comes in the PKCS#12 file: without it, no trust.
      const noCa = keyFile(
        dir,
        "no-ca.json.new",
        withCert(certs.clientP12WithoutCaPath, PASSWORD),
        fourValidators(),
      );
      const untrusted = await inProcess([noCa], dir, env);
      expect(untrusted.code).toBe(69);
      expect(untrusted.stderr).toMatch(/\(SELF_SIGNED_CERT_IN_CHAIN\)/);

      const wrongPass = keyFile(
        dir,
        "wrong-pass.json.new",
        withCert("signer-client.p12", "not-it"),
        fourValidators(),
      );
      const unchanged = recordDirs(dir);
      const refused = await inProcess([wrongPass], dir, env);
      expectRefusal(refused, {
        code: 65,
        thrown: {
          name: "InputError",
          code: "CERTIFICATE_UNUSABLE",
          file: "wrong-pass.json.new",
          field: "remoteSigner",
        },
        unchanged,
      });
      expect(refused.stderr).not.toContain("not-it");

      const missingCert = keyFile(
        dir,
        "no-cert.json.new",
        withCert("absent.p12", PASSWORD),
        fourValidators(),
      );
      expectRefusal(await inProcess([missingCert], dir, env), {
        code: 66,
        thrown: {
          name: "InputMissingError",
          code: "NOT_FOUND",
          file: "no-cert.json.new",
          field: "remoteSigner",
        },
      });
    });
  },
);
