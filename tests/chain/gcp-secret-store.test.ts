import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../support/test-chain.js";
import { projectRoot, runCli, runInProcess } from "../support/cli.js";
import { expectRefusal } from "../support/refusal.js";
import { snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import {
  startSecretManagerServer,
  type SecretManagerServer,
} from "../support/secret-manager-server.js";

/**
 * The real @google-cloud/secret-manager client (in the CLI) against a local gRPC server of the
 * Secret Manager v1 service built from the client's own protos: Google itself is unreachable here.
 */
const fixture = join(projectRoot, "tests", "fixtures", "aztec-encrypted");
const raw = JSON.parse(readFileSync(join(fixture, "raw-private-keys.json"), "utf8")) as {
  validators: { attester: { eth: string; bls: string } }[];
};
const ATTESTERS = [
  "0x8C3229EC621644789d7F61FAa82c6d0E5F97d43D",
  "0x9586A4833970847aef259aD5BFB7aa8901DDf746",
  "0x0e9971c0005D91336c1441b8F03c1C4fe5FB4584",
];

let net: RegistryChain;
let server: SecretManagerServer;
beforeAll(async () => {
  [net, server] = await Promise.all([startRegistryChain(), startSecretManagerServer()]);
});
afterAll(async () => {
  await Promise.all([net?.stop(), server?.stop()]);
});

function workDir(): string {
  const dir = tempDir("butler-gcp-");
  cpSync(join(fixture, "raw-private-keys.json"), join(dir, "new-private-keys.json"));
  return dir;
}
/** process-private-keys into the project's secrets: in-process unless `runner` is runCli. */
const run = (
  dir: string,
  project: string,
  env: Record<string, string> = {},
  runner: typeof runCli = runInProcess,
) =>
  runner(["process-private-keys", "new-private-keys.json", "--secret-store", `gcp:${project}`], {
    cwd: dir,
    env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: server.endpoint, ...env },
  });
const secretName = (project: string, kind: "eth" | "bls", i: number) =>
  `projects/${project}/secrets/web3signer-testnet-${kind}-${ATTESTERS[i]!.toLowerCase()}`;
const versionsIn = (project: string) =>
  [...server.secrets.values()]
    .filter((s) => s.name.startsWith(`projects/${project}/`))
    .flatMap((s) => s.versions);
function expectNoKeyIn(text: string) {
  for (const v of raw.validators)
    for (const key of [v.attester.eth, v.attester.bls]) expect(text).not.toContain(key.slice(2));
}

describe("--secret-store gcp:<project-id> against a local Secret Manager", () => {
  it("creates one labelled secret per key, reads each back, then writes the public file; a re-run keeps them", async () => {
    const dir = workDir();
    // The one spawned run: the bin loads Secret Manager's client as an operator's run does.
    const first = await run(dir, "butler-create", {}, runCli);
    expect(first.code, first.stderr).toBe(0);
    expectNoKeyIn(first.stdout + first.stderr);
    expect(first.stderr).toMatch(/6 secrets: 6 added, 0 already there .*read back and compared/);
    expect(existsSync(join(dir, "public-new-private-keys.json"))).toBe(true);
    for (const [i, v] of raw.validators.entries()) {
      for (const kind of ["eth", "bls"] as const) {
        const secret = server.secrets.get(secretName("butler-create", kind, i))!;
        expect(secret, `${kind} ${i}`).toBeDefined();
        expect(secret.versions.map((x) => x.data.toString("utf8"))).toEqual([v.attester[kind]]);
        expect(secret.labels).toEqual({
          "managed-by": "aztec-butler",
          network: "testnet",
          "key-kind": kind,
          attester: ATTESTERS[i]!.toLowerCase(),
        });
      }
    }
    // Idempotent: the same values are kept, no version added, the public file written again.
    const publicBefore = readFileSync(join(dir, "public-new-private-keys.json"), "utf8");
    const again = await runInProcess(
      [
        "process-private-keys",
        "new-private-keys.json",
        "--secret-store",
        "gcp:butler-create",
        "--force",
      ],
      { cwd: dir, env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: server.endpoint } },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 added, 6 already there with the same value/);
    expect(versionsIn("butler-create")).toHaveLength(6);
    expect(readFileSync(join(dir, "public-new-private-keys.json"), "utf8")).toBe(publicBefore);
  });

  it("refuses a secret that holds a different value, naming it; nothing added anywhere, no public file", async () => {
    const dir = workDir();
    expect((await run(workDir(), "butler-conflict")).code).toBe(0);
    const name = secretName("butler-conflict", "bls", 1);
    server.secrets
      .get(name)!
      .versions.push({ name: `${name}/versions/2`, data: Buffer.from("0x1234"), state: "ENABLED" });
    const versions = versionsIn("butler-conflict").length;
    // A fourth validator's secrets would be new; none is created when another conflicts.
    const before = snapshot(dir);
    const refused = await run(dir, "butler-conflict");
    expect(refused.code, refused.stderr).toBe(73);
    expect(refused.stderr).toContain(`secret ${name} already holds a different value`);
    expect(refused.stderr).toMatch(/validator 1/);
    expectNoKeyIn(refused.stdout + refused.stderr);
    expect(versionsIn("butler-conflict")).toHaveLength(versions);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses when a secret reads back a different value: versions added now destroyed, no public file", async () => {
    const dir = workDir();
    const before = snapshot(dir);
    // Reads before the first write find nothing; the read-back after it is where the tampering shows.
    server.tamperReads = true;
    try {
      const refused = await run(dir, "butler-tamper");
      expect(refused.code, refused.stderr).toBe(73);
      expect(refused.stderr).toMatch(
        /secret projects\/butler-tamper\/secrets\/web3signer-testnet-\S+ reads back a different value/,
      );
      expect(refused.stderr).toMatch(/6 versions added now were destroyed/);
    } finally {
      server.tamperReads = false;
    }
    expect(versionsIn("butler-tamper").map((v) => v.state)).toEqual(Array(6).fill("DESTROYED"));
    expect(snapshot(dir)).toEqual(before);
    // Re-running against a store that works completes it.
    const completed = await run(dir, "butler-tamper");
    expect(completed.code, completed.stderr).toBe(0);
    expect(existsSync(join(dir, "public-new-private-keys.json"))).toBe(true);
  });

  it("fails with a clear error when Secret Manager cannot be reached: exit 69, no public file", async () => {
    const dir = workDir();
    const before = snapshot(dir);
    const port = await getFreePort();
    const refused = await run(dir, "butler-down", {
      GCP_SECRET_MANAGER_ENDPOINT: `127.0.0.1:${port}`,
      RPC_TIMEOUT_MS: "3000",
    });
    expect(refused.code, refused.stderr).toBe(69);
    // The progress lines, then one error line, no stack, no warning.
    const errors = refused.stderr
      .trim()
      .split("\n")
      .filter((l) => !/^(derived|provider)/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: /);
    expect(refused.stderr).toMatch(
      new RegExp(`Secret Manager emulator at 127\\.0\\.0\\.1:${port} cannot be reached`),
    );
    expect(refused.stderr).toMatch(/public-keys file was not written/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a GCP_SECRET_MANAGER_ENDPOINT that is not loopback: exit 78, before a key is sent", async () => {
    for (const endpoint of ["secrets.example.com:443", "10.0.0.1:8080", "[2001:db8::1]:443"]) {
      const dir = workDir();
      const before = snapshot(dir);
      const calls = server.calls.length;
      const refused = await runInProcess(
        ["process-private-keys", "new-private-keys.json", "--secret-store", "gcp:butler-remote"],
        { cwd: dir, env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: endpoint } },
      );
      expectRefusal(refused, {
        code: 78,
        thrown: { name: "ConfigError", code: "INVALID_EMULATOR_ENDPOINT" },
        unchanged: { dirs: [dir], before: [before] },
      });
      expect(server.calls.length).toBe(calls);
    }
  });

  it("a run that fails part-way names the secrets it added (never a value) and keeps them; a re-run completes idempotently", async () => {
    const dir = workDir();
    const before = snapshot(dir);
    server.failAfterAdds = 2;
    let failed;
    try {
      failed = await runInProcess(
        ["process-private-keys", "new-private-keys.json", "--secret-store", "gcp:butler-midway"],
        { cwd: dir, env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: server.endpoint } },
      );
    } finally {
      server.failAfterAdds = undefined;
    }
    const added = [...server.secrets.values()]
      .filter((x) => x.name.startsWith("projects/butler-midway/") && x.versions.length > 0)
      .map((x) => x.name)
      .sort();
    expect(added).toHaveLength(2);
    expect(failed.code, failed.stderr).toBe(69);
    const lines = failed.stderr
      .trimEnd()
      .split("\n")
      .filter((l) => l.startsWith("error: "));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `before that, 2 secrets were added and are kept (a failed run cannot take them back): ${added.join(", ")}; run the same command again`,
    );
    expectNoKeyIn(failed.stdout + failed.stderr);
    expect(snapshot(dir)).toEqual(before);

    const completed = await runInProcess(
      ["process-private-keys", "new-private-keys.json", "--secret-store", "gcp:butler-midway"],
      { cwd: dir, env: { ...net.env, GCP_SECRET_MANAGER_ENDPOINT: server.endpoint } },
    );
    expect(completed.code, completed.stderr).toBe(0);
    expect(completed.stderr).toMatch(/6 secrets: 4 added, 2 already there with the same value/);
    // One version each: the ones added before the failure were kept, not added again.
    expect(versionsIn("butler-midway").map((v) => v.state)).toEqual(Array(6).fill("ENABLED"));
    expect(existsSync(join(dir, "public-new-private-keys.json"))).toBe(true);
  });

  it("refuses a malformed project id: exit 64", async () => {
    const refused = await run(workDir(), "Not_A_Project");
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/not a Google Cloud project id/);
  });
});
