import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GSEAbi } from "@aztec/l1-artifacts/GSEAbi";
import { bn254 } from "@noble/curves/bn254.js";
import {
  BaseError,
  decodeFunctionData,
  getAddress,
  keccak256,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Interface } from "ethers";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import { builderChecksum } from "../../src/core/files/safe-tx-builder.js";
import {
  ATTESTER_STATUS,
  flushEntryQueue,
  readAttesterViews,
  rejectAttesterInRegistry,
  stakeWithProvider,
  validRegistrationTuples,
} from "../support/aztec-l1.js";
import {
  ANVIL_ACCOUNTS,
  EIP_7825_TX_GAS_LIMIT,
  addKeysToProviderQueue,
  aztecOf,
  compileTestContract,
  registerProvider,
} from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { expectNoPrivateKeyIn, expectRefusal, recordDirs } from "../support/refusal.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { startRpcProxy } from "../support/rpc-proxy.js";

const phase1 = join(ownPhasesDir, "after_phase1", "on-dev-machine");
const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const BN254_R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;

interface KeyFile {
  schemaVersion: number;
  validators: { attester: Record<string, unknown>; publisher: unknown; [k: string]: unknown }[];
}
interface G1 {
  x: bigint;
  y: bigint;
}
interface G2 {
  x0: bigint;
  x1: bigint;
  y0: bigint;
  y1: bigint;
}
interface QueuedRegistrationTuple {
  attester: Address;
  publicKeyG1: G1;
  publicKeyG2: G2;
  proofOfPossession: G1;
}

const readKeyFile = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "new-private-keys.json"), "utf8")) as KeyFile;
const inputPrivateKeys = (file: KeyFile) =>
  file.validators
    .flatMap((v) => [v.attester.eth, v.attester.bls, v.publisher].flat())
    .filter((k) => typeof k === "string") as string[];
const expected = JSON.parse(readFileSync(join(phase2, "new-public-keys.json"), "utf8")) as {
  validators: { attester: { eth: Address; bls: Hex } }[];
};
const expectedAttesters = expected.validators.map((v) => v.attester.eth);

/** Aztec's compressed G1 form (computeBn254G1PublicKeyCompressed): x, bit 255 set when y is odd. */
const compress = ({ x, y }: G1) => `0x${(((y & 1n) << 255n) | x).toString(16).padStart(64, "0")}`;

/** A private-key file of `n` valid, deterministic validators. */
function generatedKeyFile(n: number, seed: string): KeyFile {
  const scalar = (label: string, i: number, order: bigint) =>
    `0x${((BigInt(keccak256(toHex(`${seed}/${label}/${i}`))) % (order - 1n)) + 1n).toString(16).padStart(64, "0")}`;
  const secp256k1N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  return {
    schemaVersion: 1,
    validators: Array.from({ length: n }, (_, i) => ({
      attester: { eth: scalar("eth", i, secp256k1N), bls: scalar("bls", i, BN254_R) },
      publisher: scalar("publisher", i, secp256k1N),
      feeRecipient: `0x${"0".repeat(64)}`,
    })),
  };
}

let net: RegistryChain;
/** Checksummed, as add-keys prints addresses. */
let registry: Address;
let gse: Address;
let rollup: Address;
let brokenGse: Address;

async function deploy(file: string, name: string, args: unknown[] = []): Promise<Address> {
  const artifact = await compileTestContract(file, name);
  const hash = await net.chain.walletClient.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args,
  });
  const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
  return getAddress(receipt.contractAddress!);
}

beforeAll(async () => {
  net = await startRegistryChain();
  registry = getAddress(net.registry);
  ({ gse, rollup } = aztecOf(net.chain));
  brokenGse = await deploy("BrokenGse.sol", "BrokenGse");
});
afterAll(async () => {
  await net?.stop();
});

/** A provider of its own (admin: anvil account 4), so a test's queue starts empty. */
async function freshProvider(): Promise<{
  providerId: bigint;
  admin: Address;
  env: Record<string, string | undefined>;
}> {
  const admin = ANVIL_ACCOUNTS[4]!;
  const providerId = await registerProvider(net.chain, registry, admin);
  return {
    providerId,
    admin,
    env: {
      ...net.env,
      AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: undefined,
      AZTEC_STAKING_PROVIDER_ID: String(providerId),
      AZTEC_GSE_ADDRESS: gse,
    },
  };
}

async function readQueue(providerId: bigint): Promise<QueuedRegistrationTuple[]> {
  const read = (functionName: "getFirstIndexInQueue" | "getLastIndexInQueue") =>
    net.chain.publicClient.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName,
      args: [providerId],
    });
  const [first, last] = await Promise.all([
    read("getFirstIndexInQueue"),
    read("getLastIndexInQueue"),
  ]);
  const indices = Array.from({ length: Number(last - first) }, (_, i) => first + BigInt(i));
  return Promise.all(
    indices.map((index) =>
      net.chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getValueAtIndexInQueue",
        args: [providerId, index],
      }),
    ),
  ) as Promise<QueuedRegistrationTuple[]>;
}

/** Sends the calldata as the provider admin would (anvil's dev accounts are unlocked). */
async function sendAs(
  admin: Address,
  tx: { contractToCall: Address; callData: Hex },
): Promise<void> {
  const hash = await net.chain.walletClient.sendTransaction({
    account: admin,
    to: tx.contractToCall,
    data: tx.callData,
  });
  const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
}

/** e(pop, G2) = e(digest, pkG2), the digest read from the GSE here, independently of add-keys. */
async function expectValidProofOfPossession(store: QueuedRegistrationTuple): Promise<void> {
  const digest = await net.chain.publicClient.readContract({
    address: gse,
    abi: GSEAbi,
    functionName: "getRegistrationDigest",
    args: [store.publicKeyG1],
  });
  const { Fp2, Fp12 } = bn254.fields;
  const pkG2 = bn254.G2.Point.fromAffine({
    x: Fp2.create({ c0: store.publicKeyG2.x0, c1: store.publicKeyG2.x1 }),
    y: Fp2.create({ c0: store.publicKeyG2.y0, c1: store.publicKeyG2.y1 }),
  });
  pkG2.assertValidity();
  const product = bn254.pairingBatch([
    { g1: bn254.G1.Point.fromAffine(store.proofOfPossession), g2: bn254.G2.Point.BASE },
    { g1: bn254.G1.Point.fromAffine(digest).negate(), g2: pkG2 },
  ]);
  expect(Fp12.eql(product, Fp12.ONE)).toBe(true);
}

/**
 * The GSE's own check, asked as the real rollup (its only caller): deposit() verifies the proof of
 * possession first, then pulls the stake. A valid proof gets past the check and fails at the token
 * transfer (the rollup approved nothing); an invalid one reverts with GSE__InvalidProofOfPossession.
 */
async function gseDepositRevertReason(store: QueuedRegistrationTuple): Promise<string> {
  try {
    await net.chain.publicClient.simulateContract({
      address: gse,
      abi: GSEAbi,
      functionName: "deposit",
      args: [
        store.attester,
        store.attester,
        store.publicKeyG1,
        store.publicKeyG2,
        store.proofOfPossession,
        false,
      ],
      account: rollup,
    });
    return "no revert";
  } catch (error) {
    const reverted = (error as BaseError).walk(
      (e) => (e as { name?: string }).name === "ContractFunctionRevertedError",
    ) as { data?: { errorName?: string } } | null;
    return reverted?.data?.errorName ?? String(error);
  }
}

function parseStdout(run: CliResult): Record<string, unknown> {
  expect(run.stdout.endsWith("}\n")).toBe(true);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe("add-keys against the real GSE", () => {
  it("prints calldata that queues exactly the new attesters with valid proofs of possession, and refuses a second run", async () => {
    const dir = copyToTemp(phase1);
    const keys = inputPrivateKeys(readKeyFile(dir));
    const env = { ...net.env, AZTEC_GSE_ADDRESS: gse };
    const run = await runCli(["add-keys", "new-private-keys.json"], { cwd: dir, env });
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    console.log(`add-keys, 6 validators, GSE via AZTEC_GSE_ADDRESS: ${run.ms} ms`);

    const json = parseStdout(run);
    expect(Object.keys(json)).toEqual(["contractToCall", "callData"]);
    expect(json.contractToCall).toBe(registry);
    expect(json.callData).toMatch(/^0x[0-9a-f]+$/);
    const listed = run.stderr
      .split("\n")
      .filter((line) => line.startsWith("  0x"))
      .map((line) => line.trim());
    expect(listed).toEqual(expectedAttesters);
    expect(run.stderr).toContain(`provider ${net.providerId}'s admin ${net.admin}`);
    expectNoPrivateKeyIn(run.stdout + run.stderr, keys);

    await sendAs(net.admin, json as { contractToCall: Address; callData: Hex });
    const queue = await readQueue(net.providerId);
    expect(queue.map((k) => k.attester)).toEqual(expectedAttesters);
    for (const [i, store] of queue.entries()) {
      expect(compress(store.publicKeyG1)).toBe(expected.validators[i]!.attester.bls);
      await expectValidProofOfPossession(store);
      expect(await gseDepositRevertReason(store)).toBe("ERC20InsufficientAllowance");
    }
    // The GSE check tells a wrong proof apart.
    const forged = { ...queue[0]!, proofOfPossession: queue[1]!.proofOfPossession };
    expect(await gseDepositRevertReason(forged)).toBe("GSE__InvalidProofOfPossession");

    const before = snapshot(dir);
    const again = await runInProcess(["add-keys", "new-private-keys.json", "-o", "calldata.json"], {
      cwd: dir,
      env,
    });
    expect(again.code).toBe(65);
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(
      new RegExp(
        `^error: new-private-keys\\.json: 6 attesters already in provider ${net.providerId}'s queue: `,
        "m",
      ),
    );
    for (const attester of expectedAttesters) expect(again.stderr).toContain(attester);
    expect(snapshot(dir)).toEqual(before);
  });

  it("80 keys (more than one transaction holds): split into as few transactions as fit 90% of 2^24 gas, each mined from the admin; the queue holds the 80 in order; staked, flushed, VALIDATING with their keys; Safe files", async () => {
    const dir = tempDir();
    const keyFile = generatedKeyFile(80, "done-when");
    writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(keyFile, null, 2));
    const attesters = keyFile.validators.map((v) => privateKeyToAddress(v.attester.eth as Hex));
    const { providerId, admin, env } = await freshProvider();
    const startedAt = Date.now();
    const run = await runCli(
      [
        "get-add-keys-to-staking-provider-calldata",
        "new-private-keys.json",
        "--safe-tx-builder",
        "safe",
      ],
      { cwd: dir, env },
    );
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    console.log(`add-keys, 80 validators: ${run.ms} ms`);

    const json = parseStdout(run) as { transactions: { contractToCall: Address; callData: Hex }[] };
    expect(Object.keys(json)).toEqual(["transactions"]);
    const n = json.transactions.length;
    // stderr: each transaction's keys and estimated gas, all under the budget.
    const estimated = [
      ...run.stderr.matchAll(
        /^transaction (\d+) of (\d+): (\d+) attesters, estimated ([\d,]+) gas$/gm,
      ),
    ].map((m) => ({ keys: Number(m[3]), gas: BigInt(m[4]!.replaceAll(",", "")) }));
    expect(estimated).toHaveLength(n);
    expect(estimated.reduce((sum, e) => sum + e.keys, 0)).toBe(80);
    const budget = (EIP_7825_TX_GAS_LIMIT * 90n) / 100n;
    expect(run.stderr).toContain(
      "each transaction's estimate is at most 15,099,494 gas: 90% of min(2^24, block gas limit 60,000,000) = 16,777,216",
    );
    for (const e of estimated) expect(e.gas).toBeLessThanOrEqual(budget);
    const total = estimated.reduce((sum, e) => sum + e.gas, 0n);
    expect(n).toBeGreaterThanOrEqual(2); // 80 keys need about 16.4M gas (~205k each): never one transaction
    expect(BigInt(n)).toBeLessThanOrEqual((total + budget - 1n) / budget + 1n);
    console.log(
      `80 keys in ${n} transactions of ${estimated.map((e) => `${e.keys} keys/${e.gas} gas`).join(", ")}`,
    );

    // Every printed transaction, sent by the admin, is mined, within its estimate.
    for (const [i, tx] of json.transactions.entries()) {
      const hash = await net.chain.walletClient.sendTransaction({
        account: admin,
        to: tx.contractToCall,
        data: tx.callData,
      });
      const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      expect(receipt.gasUsed).toBeLessThanOrEqual(estimated[i]!.gas);
    }
    const queue = await readQueue(providerId);
    expect(queue.map((k) => k.attester)).toEqual(attesters);

    // The Safe Transaction Builder files: one per transaction, the same calls.
    const names = readdirSync(dir)
      .filter((f) => f.startsWith("safe-"))
      .sort();
    expect(names).toEqual(Array.from({ length: n }, (_, i) => `safe-${i + 1}-of-${n}.json`).sort());
    for (const [i, tx] of json.transactions.entries()) {
      const batch = JSON.parse(readFileSync(join(dir, `safe-${i + 1}-of-${n}.json`), "utf8")) as {
        version: string;
        chainId: string;
        createdAt: number;
        meta: {
          name: string;
          description: string;
          createdFromSafeAddress: string;
          checksum: string;
        };
        transactions: unknown[];
      };
      expect(Object.keys(batch)).toEqual([
        "version",
        "chainId",
        "createdAt",
        "meta",
        "transactions",
      ]);
      expect(batch.version).toBe("1.0");
      expect(batch.chainId).toBe("31337");
      expect(batch.createdAt).toBeGreaterThanOrEqual(startedAt);
      expect(batch.createdAt).toBeLessThanOrEqual(Date.now());
      expect(batch.meta.createdFromSafeAddress).toBe(admin);
      expect(batch.meta.name).toBeNull();
      expect(batch.meta.description).toMatch(
        new RegExp(`^aztec-butler add-keys ${i + 1} of ${n}: `),
      );
      expect(batch.meta.description).toContain(
        `${estimated[i]!.keys} validators for staking provider ${providerId}`,
      );
      // A contract call the builder shows and encodes (with ethers) into exactly the calldata.
      const [call] = batch.transactions as {
        to: string;
        value: string;
        data: null;
        contractMethod: {
          name: string;
          inputs: { name: string; type: string }[];
          payable: boolean;
        };
        contractInputsValues: Record<string, string>;
      }[];
      expect(batch.transactions).toHaveLength(1);
      expect({ to: call!.to, value: call!.value, data: call!.data }).toEqual({
        to: registry,
        value: "0",
        data: null,
      });
      const method = new Interface([{ ...call!.contractMethod, type: "function", outputs: [] }]);
      expect(
        method.encodeFunctionData("addKeysToProvider", [
          call!.contractInputsValues._providerIdentifier,
          JSON.parse(call!.contractInputsValues._keyStores!),
        ]),
      ).toBe(tx.callData);
      expect(batch.meta.checksum).toBe(builderChecksum(batch));
    }
    expectNoPrivateKeyIn(
      names.map((f) => readFileSync(join(dir, f), "utf8")).join("\n"),
      inputPrivateKeys(keyFile),
    );

    // Staked through the registry, flushed: validators of Aztec's rollup, with their keys.
    const staked = await stakeWithProvider(net.chain, { providerId, count: 80 });
    expect(staked.map((s) => s.attester)).toEqual(attesters);
    expect(new Set(staked.map((s) => s.coinbaseSplit)).size).toBe(80);
    await flushEntryQueue(net.chain);
    const views = await readAttesterViews(net.chain, attesters);
    expect(views.map((v) => v.status)).toEqual(attesters.map(() => ATTESTER_STATUS.VALIDATING));
    expect(views.map((v) => v.publicKey)).toEqual(queue.map((k) => k.publicKeyG1));
  });

  it("--max-keys-per-tx lowers the size: 9 keys in transactions of 4, sent in order", async () => {
    const dir = tempDir();
    const keyFile = generatedKeyFile(9, "split");
    writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(keyFile, null, 2));
    const { providerId, admin, env } = await freshProvider();
    const run = await runInProcess(
      ["add-keys", "new-private-keys.json", "-o", "calldata.json", "--max-keys-per-tx", "4"],
      { cwd: dir, env },
    );
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);

    const attesters = keyFile.validators.map((v) => privateKeyToAddress(v.attester.eth as Hex));
    const json = parseStdout(run) as { transactions: { contractToCall: Address; callData: Hex }[] };
    expect(Object.keys(json)).toEqual(["transactions"]);
    expect(json.transactions).toHaveLength(3);
    for (const tx of json.transactions)
      expect(Object.keys(tx)).toEqual(["contractToCall", "callData"]);
    expect(run.stderr).toMatch(
      /9 validators from new-private-keys\.json in 3 addKeysToProvider calls/,
    );
    expect(run.stderr).toMatch(/transaction 1 of 3: 4 attesters, estimated [\d,]+ gas\n/);
    expect(run.stderr).toMatch(/transaction 3 of 3: 1 attesters?, estimated [\d,]+ gas\n/);

    // --output holds exactly what stdout got.
    expect(JSON.parse(readFileSync(join(dir, "calldata.json"), "utf8"))).toEqual(json);
    // Each transaction adds the next slice of attesters, in order.
    const slices = json.transactions.map(
      (tx) =>
        decodeFunctionData({ abi: stakingRegistryAbi, data: tx.callData }).args[1] as readonly {
          attester: Address;
        }[],
    );
    expect(slices.map((keys) => keys.length)).toEqual([4, 4, 1]);
    expect(slices.flat().map((k) => k.attester)).toEqual(attesters);

    for (const tx of json.transactions) await sendAs(admin, tx);
    const queue = await readQueue(providerId);
    expect(queue.map((k) => k.attester)).toEqual(attesters);
    for (const store of [queue[0]!, queue[5]!, queue[8]!])
      await expectValidProofOfPossession(store);

    const small = await runInProcess(
      ["add-keys", "new-private-keys.json", "--max-keys-per-tx", "0"],
      {
        cwd: dir,
        env,
      },
    );
    expect(small.code).toBe(64);
    expect(small.stderr).toBe(
      'error: --max-keys-per-tx must be a positive whole number, got "0"\n',
    );
  });

  it("finds the rollup and the GSE from the chain itself when neither AZTEC_GSE_ADDRESS nor AZTEC_ROLLUP_ADDRESS is set", async () => {
    const dir = copyToTemp(phase1);
    const { env } = await freshProvider();
    const direct = await runInProcess(["add-keys", "new-private-keys.json"], { cwd: dir, env });
    const discovered = await runInProcess(["add-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...env, AZTEC_GSE_ADDRESS: undefined, AZTEC_ROLLUP_ADDRESS: undefined },
    });
    expect(direct.code).toBe(0);
    expect(discovered.code).toBe(0);
    expect(discovered.stdout).toBe(direct.stdout);
    expect(discovered.stderr).toContain(`from GSE ${gse} and the rollup ${rollup}'s entry queue`);
  });

  it("refuses AZTEC_ROLLUP_ADDRESS and AZTEC_GSE_ADDRESS that disagree (exit 78), printing nothing", async () => {
    const dir = copyToTemp(phase1);
    const { env } = await freshProvider();
    const run = await runInProcess(["add-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...env, AZTEC_ROLLUP_ADDRESS: rollup, AZTEC_GSE_ADDRESS: brokenGse },
    });
    expect(run.code).toBe(78);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `error: AZTEC_GSE_ADDRESS (from the environment) is ${brokenGse}, but the GSE of AZTEC_ROLLUP_ADDRESS ` +
        `(from the environment) ${rollup} is ${gse}; they must agree (unset one of them)\n`,
    );
  });

  it("finds the GSE through the rollup's getGSE() when only AZTEC_ROLLUP_ADDRESS is set", async () => {
    const dir = copyToTemp(phase1);
    const { env } = await freshProvider();
    const direct = await runInProcess(["add-keys", "new-private-keys.json"], { cwd: dir, env });
    const viaRollup = await runInProcess(["add-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...env, AZTEC_GSE_ADDRESS: undefined, AZTEC_ROLLUP_ADDRESS: rollup },
    });
    expect(direct.code).toBe(0);
    expect(viaRollup.code).toBe(0);
    expect(viaRollup.stdout).toBe(direct.stdout);
    expect(viaRollup.stderr).toContain(`from GSE ${gse}`);
  });

  it("writes --output (the stdout JSON) atomically, never overwrites it without --force, and holds no private key", async () => {
    const dir = copyToTemp(phase1);
    const keys = inputPrivateKeys(readKeyFile(dir));
    const { env } = await freshProvider();
    const first = await runInProcess(
      ["add-keys", "new-private-keys.json", "--output", "calldata.json"],
      {
        cwd: dir,
        env,
      },
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/\nwrote calldata\.json\n$/);
    const text = readFileSync(join(dir, "calldata.json"), "utf8");
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(text).toBe(`${JSON.stringify(file, null, 2)}\n`);
    expect(Object.keys(file)).toEqual(["contractToCall", "callData"]);
    expect(file).toEqual(parseStdout(first));
    expectNoPrivateKeyIn(text, keys);

    const before = snapshot(dir);
    const again = await runInProcess(
      ["add-keys", "new-private-keys.json", "--output", "calldata.json"],
      {
        cwd: dir,
        env,
      },
    );
    expect(again.code).toBe(73);
    expect(again.stdout).toBe("");
    expect(again.stderr).toBe(
      "error: calldata.json: already exists; refusing to overwrite it (pass --force to replace it)\n",
    );
    expect(snapshot(dir)).toEqual(before);

    // --force replaces it: a stale file is written over with the calldata again.
    writeFileSync(join(dir, "calldata.json"), "stale\n");
    const forced = await runInProcess(
      ["add-keys", "new-private-keys.json", "-o", "calldata.json", "--force"],
      { cwd: dir, env },
    );
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "calldata.json"), "utf8")).toBe(text);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);

    const self = await runInProcess(
      ["add-keys", "new-private-keys.json", "-o", "./new-private-keys.json", "--force"],
      { cwd: dir, env },
    );
    expect(self.code).toBe(64);
    expect(self.stderr).toBe(
      "error: ./new-private-keys.json: is the input file new-private-keys.json itself; an output " +
        "never replaces an input, even with --force: choose another --output\n",
    );
  });
});

describe("add-keys refuses a GSE it cannot use and writes nothing", () => {
  const cases: {
    name: string;
    env: () => Record<string, string | undefined>;
    code: "NO_CONTRACT_CODE" | "NOT_THE_GSE" | "NOT_THE_ROLLUP";
    /** What the one line must name: the setting and its address. */
    naming: () => string[];
  }[] = [
    {
      name: "an AZTEC_GSE_ADDRESS without code",
      env: () => ({ AZTEC_GSE_ADDRESS: ANVIL_ACCOUNTS[9].toLowerCase() }),
      code: "NO_CONTRACT_CODE",
      naming: () => ["AZTEC_GSE_ADDRESS (from the environment)", ANVIL_ACCOUNTS[9], "chain 31337"],
    },
    {
      name: "an AZTEC_GSE_ADDRESS whose contract is not a GSE",
      env: () => ({ AZTEC_GSE_ADDRESS: registry }),
      code: "NOT_THE_GSE",
      naming: () => ["AZTEC_GSE_ADDRESS", registry, "getRegistrationDigest"],
    },
    {
      name: "a GSE whose digest is not a curve point",
      env: () => ({ AZTEC_GSE_ADDRESS: brokenGse }),
      code: "NOT_THE_GSE",
      naming: () => ["AZTEC_GSE_ADDRESS", brokenGse, "validator 0"],
    },
    {
      name: "an AZTEC_ROLLUP_ADDRESS without code",
      env: () => ({ AZTEC_ROLLUP_ADDRESS: ANVIL_ACCOUNTS[9] }),
      code: "NO_CONTRACT_CODE",
      naming: () => [
        "AZTEC_ROLLUP_ADDRESS (from the environment)",
        ANVIL_ACCOUNTS[9],
        "chain 31337",
      ],
    },
    {
      name: "an AZTEC_ROLLUP_ADDRESS whose contract has no getGSE()",
      env: () => ({ AZTEC_ROLLUP_ADDRESS: registry }),
      code: "NOT_THE_ROLLUP",
      naming: () => ["AZTEC_ROLLUP_ADDRESS", registry, "getGSE()"],
    },
  ];

  it.each(cases)("refuses $name (exit 78)", async ({ env, code, naming }) => {
    const dir = copyToTemp(phase1);
    const unchanged = recordDirs(dir);
    const run = await runInProcess(["add-keys", "new-private-keys.json", "-o", "calldata.json"], {
      cwd: dir,
      env: { ...net.env, ...env() },
    });
    expectRefusal(run, {
      code: 78,
      thrown: { name: "ConfigError", code },
      naming: naming(),
      unchanged,
    });
  });

  it("names the file AZTEC_GSE_ADDRESS came from", async () => {
    const dir = copyToTemp(phase1);
    writeFileSync(join(dir, "gse.env"), `AZTEC_GSE_ADDRESS=${ANVIL_ACCOUNTS[9]}\n`);
    const run = await runInProcess(["--config", "gse.env", "add-keys", "new-private-keys.json"], {
      cwd: dir,
      env: net.env,
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^error: AZTEC_GSE_ADDRESS \(from gse\.env\) is 0x/);
  });
});

describe("add-keys refuses malformed keys exactly as process-private-keys does", () => {
  const cases: { name: string; mutate: (f: KeyFile) => void }[] = [
    {
      name: "a bls key equal to the BN254 curve order",
      mutate: (f) => (f.validators[2]!.attester.bls = `0x${BN254_R.toString(16)}`),
    },
    {
      name: "a bls key of zero",
      mutate: (f) => (f.validators[2]!.attester.bls = `0x${"0".repeat(64)}`),
    },
    {
      name: "an eth key that is too short",
      mutate: (f) => (f.validators[2]!.attester.eth = "0x1234"),
    },
    {
      name: "the same bls key twice",
      mutate: (f) => (f.validators[2]!.attester.bls = f.validators[0]!.attester.bls),
    },
    { name: "a malformed publisher key", mutate: (f) => (f.validators[2]!.publisher = "0xabc") },
    { name: "a missing bls key", mutate: (f) => delete f.validators[2]!.attester.bls },
  ];

  it.each(cases)(
    "refuses $name with process-private-keys' message (exit 65)",
    async ({ mutate }) => {
      const dir = copyToTemp(phase1);
      const file = readKeyFile(dir);
      const keys = inputPrivateKeys(file);
      mutate(file);
      writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(file, null, 2));
      const before = snapshot(dir);
      const env = { ...net.env, AZTEC_GSE_ADDRESS: gse };
      const reference = await runInProcess(["process-private-keys", "new-private-keys.json"], {
        cwd: dir,
        env,
      });
      const run = await runInProcess(["add-keys", "new-private-keys.json", "-o", "calldata.json"], {
        cwd: dir,
        env,
      });
      expect(run.code).toBe(65);
      expect(run.stderr).toMatch(/^error: new-private-keys\.json, validator 2[,:] /);
      expect(run.stderr).toBe(reference.stderr);
      expect(run.stdout).toBe("");
      expectNoPrivateKeyIn(run.stderr, [...keys, ...inputPrivateKeys(file)]);
      expect(snapshot(dir)).toEqual(before);
    },
  );
});

describe("keys the rollup already knows, and estimates that revert: refused, nothing printed or written", () => {
  /** A key file of three validators: a new one, one in the rollup's entry queue, one validating. */
  let dir: string;
  let entryQueued: Address;
  let validating: Address;

  beforeAll(async () => {
    dir = tempDir();
    const keyFile = generatedKeyFile(3, "rollup-known");
    writeFileSync(join(dir, "new-private-keys.json"), JSON.stringify(keyFile, null, 2));
    const keys = keyFile.validators.map((v) => ({
      eth: v.attester.eth as Hex,
      bls: v.attester.bls as Hex,
    }));
    const [, toQueue, toValidate] = await validRegistrationTuples(net.chain, keys);
    validating = toValidate!.attester;
    entryQueued = toQueue!.attester;
    // Registered and staked elsewhere (another provider): first one to validating, then one
    // left in the rollup's entry queue.
    const other = await registerProvider(net.chain, registry, ANVIL_ACCOUNTS[6]!);
    await addKeysToProviderQueue(net.chain, registry, other, [toValidate!]);
    await stakeWithProvider(net.chain, { providerId: other, count: 1 });
    await flushEntryQueue(net.chain);
    await addKeysToProviderQueue(net.chain, registry, other, [toQueue!]);
    await stakeWithProvider(net.chain, { providerId: other, count: 1 });
    const [v, q] = await readAttesterViews(net.chain, [validating, entryQueued]);
    expect([v!.status, q!.status]).toEqual([ATTESTER_STATUS.VALIDATING, ATTESTER_STATUS.NONE]);
  });

  const refusal = (stderr: string) => {
    expect(stderr).toMatch(
      new RegExp(
        `^error: new-private-keys\\.json: 2 attesters already known to Aztec's rollup ${rollup}: `,
        "m",
      ),
    );
    expect(stderr).toMatch(
      new RegExp(`${entryQueued} \\(in the rollup's entry queue at position \\d+\\)`),
    );
    expect(stderr).toContain(`${validating} (VALIDATING in the rollup)`);
  };

  it("add-keys refuses an attester in the rollup's entry queue and one validating (exit 65), writing nothing", async () => {
    const { env } = await freshProvider();
    const before = snapshot(dir);
    const run = await runInProcess(
      ["add-keys", "new-private-keys.json", "-o", "calldata.json", "--safe-tx-builder", "safe"],
      { cwd: dir, env },
    );
    expect(run.code).toBe(65);
    expect(run.stdout).toBe("");
    refusal(run.stderr);
    expect(snapshot(dir)).toEqual(before);
  });

  it("process-private-keys refuses them too (exit 65), writing nothing and printing no key", async () => {
    const { env } = await freshProvider();
    const before = snapshot(dir);
    const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env,
    });
    expect(run.code).toBe(65);
    expect(run.stdout).toBe("");
    refusal(run.stderr);
    expectNoPrivateKeyIn(run.stderr, inputPrivateKeys(readKeyFile(dir)));
    expect(snapshot(dir)).toEqual(before);
  });

  it("an estimate that reverts (the registry rejects one attester): refused with the decoded reason, nothing on stdout", async () => {
    const keysDir = tempDir();
    const keyFile = generatedKeyFile(5, "reverting-estimate");
    writeFileSync(join(keysDir, "new-private-keys.json"), JSON.stringify(keyFile, null, 2));
    const rejected = privateKeyToAddress(keyFile.validators[3]!.attester.eth as Hex);
    const { env } = await freshProvider();
    await rejectAttesterInRegistry(net.chain, rejected, registry);
    try {
      const before = snapshot(keysDir);
      const run = await runInProcess(
        ["add-keys", "new-private-keys.json", "-o", "calldata.json", "--safe-tx-builder", "safe"],
        { cwd: keysDir, env },
      );
      expect(run.code).toBe(65);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(
          `^error: new-private-keys\\.json: the registry ${registry} would revert addKeysToProvider sent by ` +
            `provider \\d+'s admin ${ANVIL_ACCOUNTS[4]} for validator 3 \\(attester ${rejected}\\): ` +
            "TestStakingRegistry: attester rejected by the test hook; nothing printed\\n$",
          "m",
        ),
      );
      expect(snapshot(keysDir)).toEqual(before);
    } finally {
      await rejectAttesterInRegistry(net.chain, zeroAddress, registry);
    }
  });
});

describe("add-keys behind a node that mixes up batch answers", () => {
  it("a repeated answer among the registration digests: exit 69 'malformed batch', no calldata (never the wrong digest signed)", async () => {
    const { env } = await freshProvider();
    const proxy = await startRpcProxy(net.chain.rpcUrl);
    try {
      proxy.setMode({ kind: "batch-fault", fault: "duplicate" });
      const dir = copyToTemp(phase1);
      const before = snapshot(dir);
      const run = await runInProcess(["add-keys", "new-private-keys.json", "-o", "calldata.json"], {
        cwd: dir,
        env: { ...env, ETHEREUM_NODE_URL: proxy.url },
      });
      expect(run.code).toBe(69);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/answered a malformed batch \(two answers for id \d+\)/);
      expect(
        run.stderr
          .trimEnd()
          .split("\n")
          .filter((l) => l.startsWith("error: ")),
      ).toHaveLength(1);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      await proxy.stop();
    }
  });
});
