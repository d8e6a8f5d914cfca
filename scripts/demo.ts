/**
 * `npm run demo`: the whole operator flow on a local chain the demo starts itself.
 *
 * Starts anvil, deploys the test staking registry and Aztec's real GSE, registers a provider and
 * funds the publishers; starts the node's remote signer (a second anvil holding the fixtures'
 * keys, FIXTURE_MNEMONIC's accounts, answering eth_accounts and eth_sign as web3signer does) and
 * a local Secret Manager (the tests' gRPC server of Google's v1 API); then, in a temp workspace
 * holding a simulated dev machine and node (copied from key-files-and-phases/after_phase1), runs
 * every phase with the real CLI and compares the files with key-files-and-phases/after_phaseN,
 * printing one PASS/FAIL line each, with check-signer before the node restarts (phase 4) and
 * check-secrets before the private-key file is deleted (phase 5).
 * Exit 0 only if every phase passes. Nothing outside the temp workspace is touched (the scraper
 * config goes to a temp XDG_DATA_HOME).
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import { parseEther, type Hex } from "viem";
import { flushEntryQueue, stakeWithProvider } from "../tests/support/aztec-l1.js";
import {
  ANVIL_ACCOUNTS,
  deployStakingRegistry,
  fundAccounts,
  registerProvider,
  startTestChain,
} from "../tests/support/test-chain.js";
import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";
import { startSecretManagerServer } from "../tests/support/secret-manager-server.js";
import { FIXTURE_ACCOUNT_COUNT, FIXTURE_MNEMONIC } from "./fixture-keys.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const phases = join(root, "key-files-and-phases");
const PROD = "prod-testnet-keyfile.json";
const PUBLISHERS = "testnet_available_publisher_addresses.json";
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

const results: { phase: string; pass: boolean; why: string[] }[] = [];
const started = Date.now();

function heading(text: string) {
  console.log(`\n${paint(1, `== ${text}`)}`);
}

/** Runs the CLI, asynchronously: the demo's Secret Manager answers from this process meanwhile. */
async function cli(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string }> {
  console.log(paint(36, `$ aztec-butler ${args.join(" ")}`));
  const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [join(root, "bin", "aztec-butler.js"), ...args], {
        cwd,
        env: { PATH: process.env.PATH ?? "", ...env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    },
  );
  const indent = (text: string) =>
    text
      .trimEnd()
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n");
  // The secret-store stand-in prints private keys; the demo shows that it happened, not the keys.
  // Calldata is shortened for reading; the full text is what the demo parses and sends.
  const stdout = run.stdout
    .replace(/\(private 0x[0-9a-fA-F]{64}\)/g, "(private 0x…)")
    .replace(
      /"0x([0-9a-fA-F]{120,})"/g,
      (_, hex: string) => `"0x${hex.slice(0, 40)}…" (${hex.length / 2} bytes)`,
    );
  if (stdout.trim()) console.log(indent(stdout));
  if (run.stderr.trim()) console.log(paint(2, indent(run.stderr)));
  return { code: run.status ?? 1, stdout: run.stdout };
}

function jsonTree(dir: string): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isFile()) tree[name] = JSON.parse(readFileSync(path, "utf8"));
  }
  return tree;
}

function showFiles(label: string, dir: string) {
  console.log(`  ${label}/`);
  for (const name of readdirSync(dir).sort())
    console.log(`    ${name} (${statSync(join(dir, name)).size} bytes)`);
}

/** Compares a simulated machine with key-files-and-phases/<phase>/<side>: same files, JSON-equal. */
function compare(phase: string, side: string, dir: string, why: string[]) {
  const expected = jsonTree(join(phases, phase, side));
  const actual = jsonTree(dir);
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const name of names) {
    if (!(name in actual)) why.push(`${side}/${name} missing`);
    else if (!(name in expected)) why.push(`${side}/${name} not expected`);
    else if (!isDeepStrictEqual(actual[name], expected[name])) why.push(`${side}/${name} differs`);
  }
}

function verdict(phase: string, dev: string, node: string, extra: string[] = []) {
  const why = [...extra];
  showFiles("on-dev-machine", dev);
  showFiles("on-testnet-node", node);
  compare(phase, "on-dev-machine", dev, why);
  compare(phase, "on-testnet-node", node, why);
  const pass = why.length === 0;
  results.push({ phase, pass, why });
  console.log(
    pass
      ? paint(32, `PASS ${phase}: files equal key-files-and-phases/${phase}`)
      : paint(31, `FAIL ${phase}: ${why.join("; ")}`),
  );
}

/** Records one PASS/FAIL line for a step that has no fixture directory to compare with. */
function stepVerdict(phase: string, problems: string[], passText: string) {
  results.push({ phase, pass: problems.length === 0, why: problems });
  console.log(
    problems.length === 0
      ? paint(32, `PASS ${phase}: ${passText}`)
      : paint(31, `FAIL ${phase}: ${problems.join("; ")}`),
  );
}

interface StatusRowJson {
  address: string;
  state: string;
  chainState: string;
  coinbase: { keyFile: string | null; chain: string | null };
}

/**
 * After phase 5: a delegator stakes the new keys, the rollup's entry queue is flushed, `status`
 * shows them active with their coinbase needed, `fill-coinbases` writes the splits into
 * `<prod>.new`, and `status` on that file finds everything consistent.
 */
async function afterRegistration(
  dev: string,
  env: Record<string, string>,
  registry: Hex,
  providerId: bigint,
  newAttesters: readonly string[],
  fromBlock: bigint,
) {
  heading("After phase 5: a delegator stakes the new keys, the rollup flushes its entry queue");
  const staked = await stakeWithProvider(chain, {
    registry,
    providerId,
    count: newAttesters.length,
  });
  for (const s of staked) console.log(`  staked ${s.attester}: coinbase split ${s.coinbaseSplit}`);
  console.log(`  flushed the entry queue in ${await flushEntryQueue(chain)} transaction(s)`);
  const split = new Map(staked.map((s) => [s.attester.toLowerCase(), s.coinbaseSplit]));
  const from = ["--from-block", String(fromBlock)];

  heading("status: where every attester is");
  const before = await cli(["status", PROD, "--json", ...from], dev, env);
  const statusProblems: string[] = before.code === 3 ? [] : [`exit ${before.code}, expected 3`];
  const rows =
    before.code === 3
      ? (JSON.parse(before.stdout) as { attesters: StatusRowJson[] }).attesters
      : [];
  for (const attester of newAttesters) {
    const row = rows.find((r) => r.address.toLowerCase() === attester.toLowerCase());
    if (!row || row.state !== "COINBASE_NEEDED" || row.chainState !== "ACTIVE")
      statusProblems.push(
        `${attester} is ${row?.state ?? "missing"}, expected COINBASE_NEEDED while ACTIVE`,
      );
    else if (row.coinbase.chain !== split.get(attester.toLowerCase()))
      statusProblems.push(`${attester}'s chain coinbase ${row.coinbase.chain} is not its split`);
  }
  stepVerdict(
    "status",
    statusProblems,
    `${newAttesters.length} new attesters active with their split as the chain's coinbase, COINBASE_NEEDED (exit 3)`,
  );

  heading("fill-coinbases: the splits into the key file");
  const fill = await cli(["fill-coinbases", PROD, ...from], dev, env);
  const fillProblems: string[] = fill.code === 0 ? [] : [`exit ${fill.code}`];
  if (fill.code === 0) {
    const written = JSON.parse(readFileSync(join(dev, `${PROD}.new`), "utf8")) as {
      validators: { attester: { eth: string }; coinbase?: string }[];
    };
    for (const attester of newAttesters) {
      const v = written.validators.find(
        (x) => x.attester.eth.toLowerCase() === attester.toLowerCase(),
      );
      if (v?.coinbase !== split.get(attester.toLowerCase()))
        fillProblems.push(`${attester}'s coinbase in ${PROD}.new is ${v?.coinbase}, not its split`);
    }
    const after = await cli(["status", `${PROD}.new`, ...from], dev, env);
    if (after.code !== 0)
      fillProblems.push(`status on ${PROD}.new exited ${after.code}, expected 0`);
  }
  stepVerdict(
    "fill-coinbases",
    fillProblems,
    `${PROD}.new gives every new attester its split; status on it: consistent (exit 0)`,
  );
}

/**
 * check-signer on copies of `files` whose remoteSigner is the demo's signer: the fixtures name a
 * web3signer host that does not exist here. Exit 0 from each run is a pass.
 */
async function checkSigner(
  sets: { label: string; files: string[] }[],
  workspace: string,
  signerUrl: string,
  env: Record<string, string>,
): Promise<string[]> {
  const dir = join(workspace, "signer-check");
  mkdirSync(dir, { recursive: true });
  const problems: string[] = [];
  for (const { label, files } of sets) {
    const names = files.map((file) => {
      const name = file.split("/").at(-1)!;
      const keyFile = JSON.parse(readFileSync(file, "utf8")) as { remoteSigner?: string };
      writeFileSync(
        join(dir, name),
        `${JSON.stringify({ ...keyFile, remoteSigner: signerUrl }, null, 2)}\n`,
      );
      return name;
    });
    const run = await cli(["check-signer", ...names], dir, env);
    if (run.code !== 0) problems.push(`${label}: exit ${run.code}`);
  }
  return problems;
}

const chain = await startTestChain();
const fromBlock = await chain.publicClient.getBlockNumber();
const signer = await startTestChain({
  aztecL1: false,
  mnemonic: FIXTURE_MNEMONIC,
  accounts: FIXTURE_ACCOUNT_COUNT,
});
const secretManager = await startSecretManagerServer();
const SECRET_STORE = "gcp:aztec-butler-demo";
const workspace = mkdtempSync(join(tmpdir(), "aztec-butler-demo-"));
try {
  heading("Setting up a local chain");
  const { registry: aztecRegistry, rollup, gse } = chain.aztec!;
  const { address: registry } = await deployStakingRegistry(chain);
  const admin = ANVIL_ACCOUNTS[1]!;
  const providerId = await registerProvider(chain, registry, admin);
  const publishers = JSON.parse(
    readFileSync(join(phases, "after_phase1", "on-dev-machine", PUBLISHERS), "utf8"),
  ) as Hex[];
  await fundAccounts(chain, publishers, parseEther("5"));
  console.log(`  anvil ${chain.rpcUrl} (chain ${chain.chainId})`);
  console.log(`  staking registry ${registry}, provider ${providerId} (admin ${admin})`);
  console.log(
    `  Aztec's real L1 (deployAztecL1Contracts): Registry ${aztecRegistry}, rollup ${rollup}, GSE ${gse}`,
  );
  console.log(`  anvil like mainnet: EIP-7825's 2^24 gas cap per transaction, 60M gas blocks`);
  console.log(`  ${publishers.length} publishers funded with 5 ETH each`);
  console.log(
    `  remote signer: anvil ${signer.rpcUrl} holding the fixtures' ${FIXTURE_ACCOUNT_COUNT} accounts (eth_accounts, eth_sign)`,
  );
  console.log(
    `  secret store: a local Secret Manager at ${secretManager.endpoint} (${SECRET_STORE})`,
  );

  const dev = join(workspace, "on-dev-machine");
  const node = join(workspace, "on-testnet-node");
  cpSync(join(phases, "after_phase1", "on-dev-machine"), dev, { recursive: true });
  cpSync(join(phases, "after_phase1", "on-testnet-node"), node, { recursive: true });
  const env = {
    HOME: workspace,
    XDG_CONFIG_HOME: join(workspace, "config"),
    XDG_DATA_HOME: join(workspace, "data"),
    ETHEREUM_NODE_URL: chain.rpcUrl,
    ETHEREUM_CHAIN_ID: String(chain.chainId),
    STAKING_REGISTRY_ADDRESS: registry,
    AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: admin,
    AZTEC_GSE_ADDRESS: gse,
    GCP_SECRET_MANAGER_ENDPOINT: secretManager.endpoint,
  };
  console.log(
    `  workspace ${workspace} (dev machine and node copied from key-files-and-phases/after_phase1)`,
  );

  heading(
    "Phase 2: derive the public keys of the new private keys, store the keys in Secret Manager",
  );
  const p2 = await cli(
    [
      "process-private-keys",
      "new-private-keys.json",
      "-o",
      "new-public-keys.json",
      "--secret-store",
      SECRET_STORE,
    ],
    dev,
    env,
  );
  verdict("after_phase2", dev, node, p2.code === 0 ? [] : [`exit ${p2.code}`]);

  heading("Phase 3: prepare the deployment (then again for two high-availability servers)");
  const p3 = await cli(
    ["prepare-deployment", PROD, PUBLISHERS, "--new-public-keys", "new-public-keys.json"],
    dev,
    env,
  );
  const haDir = join(workspace, "high-availability");
  mkdirSync(haDir);
  const ha = await cli(
    [
      "prepare-deployment",
      PROD,
      PUBLISHERS,
      "--new-public-keys",
      "new-public-keys.json",
      "--high-availability-count",
      "2",
      "--output",
      join(haDir, `${PROD}.new`),
    ],
    dev,
    env,
  );
  const haProblems: string[] = [];
  if (ha.code !== 0) haProblems.push(`high availability: exit ${ha.code}`);
  else {
    type KeyFile = { validators: { attester: { eth: string }; publisher: string }[] };
    const [a, b] = ["A", "B"].map(
      (l) => JSON.parse(readFileSync(join(haDir, `${l}_${PROD}.new`), "utf8")) as KeyFile,
    );
    const single = JSON.parse(readFileSync(join(dev, `${PROD}.new`), "utf8")) as KeyFile;
    const attesters = (f: KeyFile) => f.validators.map((v) => v.attester.eth);
    const shared = a!.validators
      .map((v) => v.publisher)
      .filter((p) => b!.validators.some((w) => w.publisher === p));
    if (
      !isDeepStrictEqual(attesters(a!), attesters(single)) ||
      !isDeepStrictEqual(attesters(b!), attesters(single))
    ) {
      haProblems.push("high availability: files do not hold all validators");
    }
    if (shared.length > 0)
      haProblems.push(`high availability: A_ and B_ share publishers ${shared.join(", ")}`);
    console.log(
      `  high availability: A_ and B_ each hold ${a!.validators.length} validators and share no publisher`,
    );
  }
  const scraper = join(workspace, "data", "aztec-butler", "testnet-scrape-config.json");
  const scraperConfig = JSON.parse(readFileSync(scraper, "utf8")) as {
    attesters: { lastSeenState?: string }[];
  };
  console.log(
    `  scraper config: ${scraperConfig.attesters.length} attesters, ${scraperConfig.attesters.filter((a) => a.lastSeenState === "NEW").length} in state NEW`,
  );
  verdict("after_phase3", dev, node, [
    ...(p3.code === 0 ? [] : [`exit ${p3.code}`]),
    ...haProblems,
  ]);

  heading("Phase 4, before the node restarts: its remote signer holds every key of the .new files");
  console.log(
    `  (copies of the .new files, their remoteSigner pointed at the demo's signer ${signer.rpcUrl})`,
  );
  stepVerdict(
    "check-signer",
    await checkSigner(
      [
        { label: `${PROD}.new`, files: [join(dev, `${PROD}.new`)] },
        {
          label: "high availability",
          files: ["A", "B"].map((l) => join(haDir, `${l}_${PROD}.new`)),
        },
      ],
      workspace,
      signer.rpcUrl,
      env,
    ),
    "every attester and publisher of the .new file and of A_/B_ is listed by the signer and signs as itself (exit 0)",
  );

  heading("Phase 4 (simulated): ship the .new file to the node");
  rmSync(join(dev, PROD));
  rmSync(join(dev, "new-public-keys.json"));
  renameSync(join(dev, `${PROD}.new`), join(dev, PROD));
  cpSync(join(dev, PROD), join(node, PROD));
  console.log(
    `  deleted the old ${PROD} and new-public-keys.json, renamed ${PROD}.new into place, copied it to the node`,
  );
  verdict("after_phase4", dev, node);

  heading("Phase 5: register the new keys with the staking provider");
  const calldataFile = join(workspace, "add-keys-calldata.json");
  const p5 = await cli(["add-keys", "new-private-keys.json", "--output", calldataFile], dev, env);
  const p5Problems: string[] = p5.code === 0 ? [] : [`exit ${p5.code}`];
  if (p5.code === 0) {
    const out = JSON.parse(p5.stdout) as {
      contractToCall?: Hex;
      callData?: Hex;
      transactions?: { contractToCall: Hex; callData: Hex }[];
    };
    const transactions = out.transactions ?? [
      { contractToCall: out.contractToCall!, callData: out.callData! },
    ];
    for (const tx of transactions) {
      const hash = await chain.walletClient.sendTransaction({
        account: admin,
        to: tx.contractToCall,
        data: tx.callData,
      });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
      console.log(
        `  sent as the provider admin: ${hash} (${receipt.status}, ${receipt.gasUsed} gas)`,
      );
      if (receipt.status !== "success") p5Problems.push(`transaction ${hash} reverted`);
    }
    const [first, last] = await Promise.all(
      (["getFirstIndexInQueue", "getLastIndexInQueue"] as const).map((functionName) =>
        chain.publicClient.readContract({
          address: registry,
          abi: stakingRegistryAbi,
          functionName,
          args: [providerId],
        }),
      ),
    );
    const queued = await Promise.all(
      Array.from({ length: Number(last! - first!) }, (_, i) =>
        chain.publicClient.readContract({
          address: registry,
          abi: stakingRegistryAbi,
          functionName: "getValueAtIndexInQueue",
          args: [providerId, first! + BigInt(i)],
        }),
      ),
    );
    const expected = (
      JSON.parse(
        readFileSync(
          join(phases, "after_phase2", "on-dev-machine", "new-public-keys.json"),
          "utf8",
        ),
      ) as {
        validators: { attester: { eth: string } }[];
      }
    ).validators.map((v) => v.attester.eth);
    const inQueue = queued.map((k) => k.attester);
    console.log(`  provider ${providerId}'s queue read back: ${inQueue.length} attesters`);
    if (!isDeepStrictEqual(inQueue, expected))
      p5Problems.push("the queue does not hold exactly the new attesters");
  }
  heading("Phase 5, before deleting the private-key file: every key is in the secret store");
  const secrets = await cli(
    ["check-secrets", "new-private-keys.json", "--secret-store", SECRET_STORE],
    dev,
    env,
  );
  stepVerdict(
    "check-secrets",
    secrets.code === 0 ? [] : [`exit ${secrets.code}`],
    "both keys of every attester of new-private-keys.json are in Secret Manager and derive to its public keys (exit 0)",
  );
  rmSync(join(dev, "new-private-keys.json"));
  console.log("  deleted new-private-keys.json (the keys are in secret storage and registered)");
  verdict("after_phase5", dev, node, p5Problems);

  const newAttesters = (
    JSON.parse(
      readFileSync(join(phases, "after_phase2", "on-dev-machine", "new-public-keys.json"), "utf8"),
    ) as { validators: { attester: { eth: string } }[] }
  ).validators.map((v) => v.attester.eth);
  await afterRegistration(dev, env, registry, providerId, newAttesters, fromBlock);
} finally {
  await Promise.all([chain.stop(), signer.stop(), secretManager.stop()]);
  rmSync(workspace, { recursive: true, force: true });
}

const passed = results.filter((r) => r.pass).length;
heading(
  `${passed} of ${results.length} phases passed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = passed === results.length && results.length === 8 ? 0 : 1;
