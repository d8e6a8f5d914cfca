/**
 * Every exit code the README lists, produced by the real CLI: each failure one line on stderr
 * (no stack, but for 70), and no path ends with Node's own exit code 1.
 */
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../support/test-chain.js";
import { runCli } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const PRIV = "new-private-keys.json";

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
});
afterAll(async () => {
  await net?.stop();
});

interface Case {
  code: number;
  name: string;
  args: string[];
  env?: () => Record<string, string>;
  setup?: (dir: string) => void;
  stderr: RegExp;
}

const cases: Case[] = [
  { code: 0, name: "done (--version)", args: ["--version"], stderr: /^$/ },
  {
    code: 64,
    name: "usage: an unknown option",
    args: ["process-private-keys", PRIV, "--bogus"],
    stderr: /^error: unknown option '--bogus'\n/,
  },
  {
    code: 65,
    name: "input refused: a repeated key",
    args: ["process-private-keys", PRIV],
    setup: (dir) =>
      writeFileSync(join(dir, PRIV), '{"schemaVersion": 1, "schemaVersion": 1, "validators": []}'),
    stderr:
      /^error: new-private-keys\.json: key "schemaVersion" appears twice at line 1, column 22 \(JSON readers would silently keep only the last one\)\n$/,
  },
  {
    code: 66,
    name: "input missing",
    args: ["process-private-keys", "absent.json"],
    stderr: /^error: absent\.json: does not exist\n$/,
  },
  {
    code: 69,
    name: "RPC unreachable (--verbose: the chain of causes down to ECONNREFUSED)",
    args: ["--verbose", "process-private-keys", PRIV],
    env: () => ({
      ...net.env,
      ETHEREUM_NODE_URL: `http://127.0.0.1:${closedPort}`,
      RPC_RETRIES: "0",
    }),
    stderr:
      /^error: checking the chain: cannot reach Ethereum node http:\/\/127\.0\.0\.1:\d+ \(connection refused\); check ETHEREUM_NODE_URL\n {2}caused by: HttpRequestError: HTTP request failed\.\n(.*\n)* {2}caused by: TypeError: fetch failed\n {2}caused by: Error: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/,
  },
  {
    code: 70,
    name: "internal error (the command's code throws what is not a refusal)",
    args: ["--version"],
    env: () => ({ NODE_OPTIONS: `--require ${throwOnWrite}` }),
    stderr:
      /^internal error \(a bug in aztec-butler; please report it with this output\):\nError: a bug\n\s+at /,
  },
  {
    code: 70,
    name: "internal error (an exception nothing catches, while the run waits for the node)",
    args: ["process-private-keys", PRIV],
    env: () => ({
      ...net.env,
      ETHEREUM_NODE_URL: `http://127.0.0.1:${silentPort}`,
      NODE_OPTIONS: `--require ${throwLater}`,
    }),
    stderr:
      /^internal error \(a bug in aztec-butler; please report it with this output\):\nError: a bug\n\s+at /,
  },
  {
    code: 73,
    name: "output cannot be written",
    args: ["process-private-keys", PRIV, "-o", "no-such-dir/out.json"],
    env: () => net.env,
    stderr:
      /^error: no-such-dir\/out\.json: cannot be written \(its directory does not exist\); nothing was written\n$/,
  },
  {
    code: 78,
    name: "configuration missing",
    args: ["process-private-keys", PRIV],
    stderr: /^error: ETHEREUM_NODE_URL is not set/,
  },
];

let closedPort = 0;
let silentPort = 0;
let throwLater = "";
let throwOnWrite = "";
/** Accepts connections and never answers (the run waits there while the bug strikes). */
const silent = createServer(() => undefined);
beforeAll(async () => {
  closedPort = await getFreePort();
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentPort = (silent.address() as AddressInfo).port;
  const bugs = tempDir("butler-bug-");
  throwLater = join(bugs, "throw-later.cjs");
  writeFileSync(throwLater, 'setTimeout(() => { throw new Error("a bug"); }, 1000);\n');
  throwOnWrite = join(bugs, "throw-on-write.cjs");
  writeFileSync(throwOnWrite, 'process.stdout.write = () => { throw new Error("a bug"); };\n');
});
afterAll(() => {
  silent.close();
});

describe("exit codes", () => {
  it.each(cases)("$code: $name", async ({ code, args, env, setup, stderr }) => {
    const dir = copyToTemp(phase1);
    setup?.(dir);
    const before = snapshot(dir);
    const run = await runCli(args, { cwd: dir, env: env?.() ?? {} });
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code });
    expect(run.stderr).toMatch(stderr);
    if (code !== 70 && code !== 0) {
      expect(
        run.stderr
          .trimEnd()
          .split("\n")
          .filter((l) => l.startsWith("error: ")),
      ).toHaveLength(1);
      expect(run.stderr).not.toContain("    at ");
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it("74: standard output cannot be written (--help > /dev/full; --verbose: the disk's ENOSPC as the cause)", async () => {
    const run = await runCli(["--verbose", "--help"], { cwd: tempDir(), stdoutTo: "/dev/full" });
    expect(run.code).toBe(74);
    expect(run.stderr).toMatch(/^error: cannot write to standard output \(ENOSPC\)/);
    expect(run.stderr).toMatch(/\n {2}caused by: Error: ENOSPC: no space left on device, write\n$/);
  });

  it("74: standard error cannot be written while the run otherwise succeeds (its warnings are lost)", async () => {
    const dir = copyToTemp(phase1);
    writeFileSync(join(dir, "ops.env"), "not a setting\n");
    const run = await runCli(["--config", "ops.env", "process-private-keys", PRIV], {
      cwd: dir,
      env: net.env,
      stderrTo: "/dev/full",
    });
    expect(run.code).toBe(74);
    expect(run.stdout).toContain("wrote public-new-private-keys.json (6 validators)");
  });

  it("a failing run whose stderr cannot be written keeps its own code (66), not Node's 1", async () => {
    const run = await runCli(["process-private-keys", "absent.json"], {
      cwd: tempDir(),
      stderrTo: "/dev/full",
    });
    expect(run.code).toBe(66);
  });
});
