import { join } from "node:path";
import { loadKeystoreFile } from "@aztec/node-keystore/loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import {
  copyToTemp,
  ownPhasesDir,
  readJsonTree,
  sharedReferenceSkipReason,
  sharedReferenceDir,
} from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
});
afterAll(async () => {
  await net?.stop();
});

async function reproducePhase2(phasesDir: string) {
  const dir = copyToTemp(join(phasesDir, "after_phase1", "on-dev-machine"));
  const run = await runCli(
    ["process-private-keys", "new-private-keys.json", "-o", "new-public-keys.json"],
    {
      cwd: dir,
      env: net.env,
    },
  );
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.code).toBe(0);
  expect(readJsonTree(dir)).toEqual(
    readJsonTree(join(phasesDir, "after_phase2", "on-dev-machine")),
  );
  // The node's own loader accepts what was written.
  expect(() => loadKeystoreFile(join(dir, "new-public-keys.json"))).not.toThrow();
  return run;
}

describe("phase 2: process-private-keys", () => {
  it("reproduces the specification's after_phase2 from its after_phase1", async (ctx) => {
    const skipReason = sharedReferenceSkipReason();
    if (skipReason) return ctx.skip(skipReason);
    await reproducePhase2(sharedReferenceDir);
  });

  it("reproduces the project's own after_phase2 from after_phase1", async () => {
    const run = await reproducePhase2(ownPhasesDir);
    expect(run.stdout).toMatch(/wrote new-public-keys\.json \(6 validators\)/);
  });
});
