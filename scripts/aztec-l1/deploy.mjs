#!/usr/bin/env node
/**
 * Deploys Aztec's real L1 contracts (Registry, Rollup, GSE, staking asset, governance) onto a
 * local anvil with Aztec's own deployAztecL1Contracts (@aztec/ethereum, a devDependency), offline:
 * forge 1.5.1 from npm runs Aztec's forge script over the precompiled out/ and cache/ shipped in
 * @aztec/l1-artifacts, so nothing is compiled and nothing is downloaded.
 *
 *   node scripts/aztec-l1/deploy.mjs <rpc-url> <result.json>
 *
 * Writes {registryAddress, rollupAddress, gseAddress, stakingAssetAddress, rollupVersion, …} to
 * <result.json> (stdout belongs to Aztec's logger). Used by tests/support/aztec-l1.ts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [rpcUrl, resultFile] = process.argv.slice(2);
if (!rpcUrl || !resultFile) {
  process.stderr.write("usage: node scripts/aztec-l1/deploy.mjs <rpc-url> <result.json>\n");
  process.exit(64);
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const FORGE = path.join(root, "node_modules/@foundry-rs/forge-linux-amd64/bin/forge");
/** anvil's first dev account (well known; never use it anywhere real). */
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

// A `forge` first on PATH that adds --slow to `forge script`: without it anvil's automine now and
// then strands a batch of transactions and Aztec's wrapper retries with new addresses.
// A `solc` that only answers --version: the shipped cache needs nothing else, and without it
// forge tries to download the compiler list (offline: fails).
const bin = mkdtempSync(path.join(tmpdir(), "aztec-l1-bin-"));
writeFileSync(
  path.join(bin, "forge"),
  `#!/bin/sh\nif [ "$1" = script ]; then exec "${FORGE}" "$@" --slow; fi\nexec "${FORGE}" "$@"\n`,
);
writeFileSync(
  path.join(bin, "solc"),
  `#!/bin/sh\necho "solc, the solidity compiler commandline interface"\necho "Version: 0.8.30+commit.73712a01.Linux.g++"\n`,
);
chmodSync(path.join(bin, "forge"), 0o755);
chmodSync(path.join(bin, "solc"), 0o755);
process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
process.env.FOUNDRY_SOLC = path.join(bin, "solc");
process.env.FOUNDRY_OFFLINE = "true";
process.env.LOG_LEVEL ??= "warn";

let code = 0;
try {
  const { deployAztecL1Contracts } = await import("@aztec/ethereum/deploy-aztec-l1-contracts");
  const { getL1ContractsConfigEnvVars } = await import("@aztec/ethereum/config");
  const { Fr } = await import("@aztec/foundation/curves/bn254");
  const deployed = await deployAztecL1Contracts(rpcUrl, DEPLOYER_KEY, 31337, {
    ...getL1ContractsConfigEnvVars(),
    vkTreeRoot: Fr.ZERO,
    protocolContractsHash: Fr.ZERO,
    genesisArchiveRoot: Fr.ZERO,
    realVerifier: false,
    initialValidators: [],
    feeJuicePortalInitialBalance: 0n,
  });
  const addresses = Object.fromEntries(
    Object.entries(deployed.l1ContractAddresses).map(([k, v]) => [k, String(v)]),
  );
  writeFileSync(
    resultFile,
    JSON.stringify({ ...addresses, rollupVersion: String(deployed.rollupVersion) }, null, 2),
  );
} catch (error) {
  process.stderr.write(`deploying Aztec's L1 contracts failed: ${error?.stack ?? error}\n`);
  code = 1;
} finally {
  rmSync(bin, { recursive: true, force: true });
}
// Aztec's logger keeps a thread alive: exit explicitly (about 4 s sooner).
process.exit(code);
