import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAccounts } from "../support/test-chain.js";
import { runCli, runInProcess } from "../support/cli.js";
import { expectNodeLoads } from "../support/node-keystore.js";
import {
  copyToTemp,
  ownPhasesDir,
  readJsonTree,
  sharedReferenceSkipReason,
  sharedReferenceDir,
  tempDir,
} from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
});
afterAll(async () => {
  await net?.stop();
});

const PUBLISHERS = "testnet_available_publisher_addresses.json";
const PROD = "prod-testnet-keyfile.json";

async function reproducePhase3(phasesDir: string) {
  const dir = copyToTemp(join(phasesDir, "after_phase2", "on-dev-machine"));
  const publishers = JSON.parse(readFileSync(join(dir, PUBLISHERS), "utf8")) as string[];
  await fundAccounts(net.chain, publishers, parseEther("10"));
  const data = tempDir();
  const run = await runCli(
    ["prepare-deployment", PROD, PUBLISHERS, "--new-public-keys", "new-public-keys.json"],
    {
      cwd: dir,
      env: { ...net.env, XDG_DATA_HOME: data },
    },
  );
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(readJsonTree(dir)).toEqual(
    readJsonTree(join(phasesDir, "after_phase3", "on-dev-machine")),
  );
  expectNodeLoads(join(dir, `${PROD}.new`));
  return { dir, data, run };
}

describe("phase 3: prepare-deployment", () => {
  it("reproduces the specification's after_phase3 from its after_phase2", async (ctx) => {
    const skipReason = sharedReferenceSkipReason();
    if (skipReason) return ctx.skip(skipReason);
    await reproducePhase3(sharedReferenceDir);
  });

  it("reproduces the project's own after_phase3 and creates the scraper config with the new keys in state NEW", async () => {
    const { data, run } = await reproducePhase3(ownPhasesDir);
    expect(run.stdout).toMatch(
      /wrote prod-testnet-keyfile\.json\.new \(10 validators: 4 existing \+ 6 new, 3 publishers\)/,
    );
    const scraper = JSON.parse(
      readFileSync(join(data, "aztec-butler", "testnet-scrape-config.json"), "utf8"),
    );
    const expected = JSON.parse(
      readFileSync(join(ownPhasesDir, "after_phase3", "on-dev-machine", `${PROD}.new`), "utf8"),
    ) as { validators: { attester: { eth: string }; publisher: string; coinbase?: string }[] };
    expect(scraper).toMatchObject({
      network: "testnet",
      l1ChainId: net.chain.chainId,
      stakingProviderId: String(net.providerId),
      stakingProviderAdmin: net.admin,
      version: "1.0",
    });
    expect(scraper.attesters).toEqual(
      expected.validators.map((v, i) => ({
        address: v.attester.eth,
        coinbase: v.coinbase ?? "0x0000000000000000000000000000000000000000",
        publisher: v.publisher,
        ...(i >= 4 ? { lastSeenState: "NEW" } : {}),
      })),
    );
  });

  it("writes the high-availability fixture: 15 validators, 10 publishers, 3 files A_/B_/C_ checked file by file", async () => {
    const fixture = join(ownPhasesDir, "high-availability");
    const dir = copyToTemp(fixture);
    for (const letter of ["A", "B", "C"]) rmSync(join(dir, `${letter}_${PROD}.new`));
    const publishers = JSON.parse(readFileSync(join(dir, "publishers.json"), "utf8")) as string[];
    await fundAccounts(net.chain, publishers, parseEther("10"));
    const run = await runInProcess(
      [
        "prepare-deployment",
        PROD,
        "publishers.json",
        "--new-public-keys",
        "new-public-keys.json",
        "--high-availability-count",
        "3",
      ],
      { cwd: dir, env: { ...net.env, XDG_DATA_HOME: tempDir() } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const produced = readJsonTree(dir);
    const expected = readJsonTree(fixture);
    expect(Object.keys(produced).sort()).toEqual(Object.keys(expected).sort());
    for (const letter of ["A", "B", "C"]) {
      const name = `${letter}_${PROD}.new`;
      expect(produced[name], name).toEqual(expected[name]);
      expectNodeLoads(join(dir, name));
    }
    expect(run.stdout).toMatch(
      /wrote A_prod-testnet-keyfile\.json\.new \(15 validators: 4 existing \+ 11 new, 3 publishers\)/,
    );
    expect(run.stdout).toMatch(
      /wrote C_prod-testnet-keyfile\.json\.new \(15 validators: 4 existing \+ 11 new, 4 publishers\)/,
    );
  });
});
