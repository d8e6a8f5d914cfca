/**
 * Benchmark module: process-private-keys on 100 encrypted validators in the layout and formats
 * `aztec validator-keys new --password … --encrypted-keystore-dir …` writes (every key
 * `{path, password}`; eth keys — attesters and publishers — as Web3 Secret Storage v3 with
 * scrypt n=131072, r=8, p=1; BLS keys as EIP-2335 BN254 keystores from Aztec's own
 * createBn254Keystore, pbkdf2 c=262144).
 *
 * Target: wall time ≤ 1.1 × 100 × (scrypt + pbkdf2) / cores, with scrypt's and pbkdf2's cost
 * measured here, on one core, before the first run, between the runs and after the last (the
 * median of those); and progress shown on a terminal.
 * Publisher keystores are read but not decrypted (the flow never uses their keys), so the ideal
 * counts one scrypt and one pbkdf2 per validator.
 *
 * The encrypted files take about a minute of CPU to make, so they are cached under
 * node_modules/.cache/aztec-butler-bench/ (outside git), with the same keys in the clear beside
 * them: the public file from the encrypted file must equal the one from the raw file.
 *
 * Hooked into bench/bench.ts (benchEncryptedKeyFiles); `node --import tsx bench/encrypted-keys.ts`
 * runs it alone on a chain of its own.
 */
import { spawn } from "node:child_process";
import { pbkdf2Sync, scryptSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { encryptEthKeystore } from "../src/core/keys/eth-keystore.js";
import { ETH_KEYSTORE_SCRYPT } from "../src/core/keys/keystore-kdf.js";
import { makePrivateKeyFile } from "./keygen.js";
import { fmtMs, median, type TargetRow } from "./report.js";
import {
  CLI_ENTRY,
  PROJECT_ROOT,
  ensureFreshBundle,
  isolatedEnv,
  runCli,
  runOnPseudoTerminal,
} from "./run-cli.js";

export const ENCRYPTED_VALIDATORS = 100;
const PASSWORD = "bench keystore password";
const CACHE = join(
  PROJECT_ROOT,
  "node_modules",
  ".cache",
  "aztec-butler-bench",
  `encrypted-${ENCRYPTED_VALIDATORS}`,
);

export interface EncryptedBenchResult {
  targets: TargetRow[];
  lines: string[];
}

/** One scrypt (Aztec's parameters) and one pbkdf2 (EIP-2335's), each on one core, in ms. */
export function measureKdfCosts(): { scryptMs: number; pbkdf2Ms: number } {
  // CPU time, not wall time: on a shared machine a thread's wall time includes waiting for a core.
  const time = (work: () => void, runs: number) =>
    median(
      Array.from({ length: runs }, () => {
        const start = process.cpuUsage();
        work();
        const used = process.cpuUsage(start);
        return (used.user + used.system) / 1000;
      }),
    );
  const { n, r, p, dklen } = ETH_KEYSTORE_SCRYPT;
  const scryptMs = time(
    () =>
      scryptSync("password", Buffer.alloc(32, 1), dklen, {
        N: n,
        r,
        p,
        maxmem: 256 * 1024 * 1024,
      }),
    3,
  );
  const pbkdf2Ms = time(
    () => pbkdf2Sync("password", Buffer.alloc(32, 1), 262_144, 32, "sha256"),
    5,
  );
  return { scryptMs, pbkdf2Ms };
}

/** The CLI under GNU time: wall, user and system seconds (CPU of every thread), peak RSS. */
async function runTimed(args: string[], cwd: string, env: Record<string, string>) {
  const timeFile = join(cwd, ".time");
  const child = spawn(
    "/usr/bin/time",
    ["-f", "%e %U %S %M", "-o", timeFile, process.execPath, CLI_ENTRY, ...args],
    { cwd, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(null));
    child.once("close", resolve);
  });
  const [wall, user, sys, rss] = readFileSync(timeFile, "utf8")
    .trim()
    .split(/\s+/)
    .slice(-4)
    .map(Number);
  return { code, stderr, wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, peakRssKb: rss! };
}

/** The cached encrypted key file (made on first use) and its raw twin. */
async function encryptedKeyFiles(
  log: (line: string) => void,
): Promise<{ encrypted: string; raw: string }> {
  const encrypted = join(CACHE, "new-private-keys.json");
  const raw = join(CACHE, "raw-private-keys.json");
  if (existsSync(encrypted) && existsSync(raw)) return { encrypted, raw };
  log(`making ${ENCRYPTED_VALIDATORS} encrypted validators in Aztec's format (cached in ${CACHE})`);
  const staging = `${CACHE}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "keystores"), { recursive: true });
  const { createBn254Keystore } = await import("@aztec/foundation/crypto/bls/bn254_keystore");
  const { computeBn254G1PublicKeyCompressed } = await import("@aztec/foundation/crypto/bn254");
  const content = makePrivateKeyFile(ENCRYPTED_VALIDATORS);
  const write = (name: string, keystore: unknown) => {
    writeFileSync(join(staging, "keystores", name), JSON.stringify(keystore, null, 2));
    return { path: `keystores/${name}`, password: PASSWORD };
  };
  const validators = await Promise.all(
    content.validators.map(async (v, i) => {
      const [attesterKeystore, publisherKeystore] = await Promise.all([
        encryptEthKeystore(v.attester.eth, PASSWORD),
        encryptEthKeystore(v.publisher, PASSWORD),
      ]);
      const pubkey = await computeBn254G1PublicKeyCompressed(v.attester.bls);
      return {
        attester: {
          eth: write(
            `keystore-eth-attester_${i + 1}_${v.attester.eth.slice(2, 10)}.json`,
            attesterKeystore,
          ),
          bls: write(
            `keystore-${i + 1}_${pubkey.slice(2, 18)}.json`,
            createBn254Keystore(PASSWORD, v.attester.bls, pubkey, `m/12381/3600/${i}/0/0`),
          ),
        },
        publisher: write(
          `keystore-eth-publisher_${i + 1}_${v.publisher.slice(2, 10)}.json`,
          publisherKeystore,
        ),
        feeRecipient: v.feeRecipient,
        coinbase: v.coinbase,
      };
    }),
  );
  writeFileSync(
    join(staging, "new-private-keys.json"),
    JSON.stringify({ schemaVersion: 1, validators }, null, 2),
  );
  writeFileSync(join(staging, "raw-private-keys.json"), JSON.stringify(content, null, 2));
  rmSync(CACHE, { recursive: true, force: true });
  renameSync(staging, CACHE);
  return { encrypted, raw };
}

/** The CLI's runs on the encrypted file, each checked against the clear file's output. */
interface EncryptedRuns {
  walls: number[];
  cpus: number[];
  /** KiB, the highest of the runs. */
  peakRssKb: number;
  /** Every run's output equals the output for the same keys in the clear. */
  same: boolean;
  /** One scrypt and one pbkdf2, measured before the first run, between runs and after the last. */
  kdfCosts: { scryptMs: number; pbkdf2Ms: number }[];
}

async function runEncrypted(
  files: { encrypted: string; raw: string },
  options: {
    tmp: string;
    config: Record<string, string>;
    log: (line: string) => void;
    repeats: number;
  },
): Promise<EncryptedRuns> {
  const { tmp, config, log, repeats } = options;
  const rawDir = join(tmp, "encrypted-raw");
  mkdirSync(rawDir, { recursive: true });
  const rawOut = join(rawDir, "public.json");
  const rawRun = await runCli(["process-private-keys", files.raw, "-o", rawOut], {
    cwd: rawDir,
    env: isolatedEnv(tmp, config),
  });
  if (rawRun.code !== 0)
    throw new Error(`process-private-keys (raw) exited ${rawRun.code}:\n${rawRun.stderr}`);

  // The kdfs' cost drifts by ±10 % over the minute the runs take on a shared machine: measured
  // around every run, the ideal is the same minutes' (median of every measurement).
  const runs: EncryptedRuns = { walls: [], cpus: [], peakRssKb: 0, same: true, kdfCosts: [] };
  runs.kdfCosts.push(measureKdfCosts());
  for (let i = 0; i < repeats; i++) {
    const cwd = join(tmp, `encrypted-${i}`);
    mkdirSync(cwd, { recursive: true });
    const output = join(cwd, "public.json");
    const run = await runTimed(
      ["process-private-keys", files.encrypted, "-o", output],
      cwd,
      isolatedEnv(tmp, config),
    );
    if (run.code !== 0)
      throw new Error(`process-private-keys (encrypted) exited ${run.code}:\n${run.stderr}`);
    runs.same &&= readFileSync(output, "utf8") === readFileSync(rawOut, "utf8");
    runs.walls.push(run.wallMs);
    runs.cpus.push(run.cpuMs);
    runs.peakRssKb = Math.max(runs.peakRssKb, run.peakRssKb);
    runs.kdfCosts.push(measureKdfCosts());
    log(
      `process-private-keys, ${ENCRYPTED_VALIDATORS} encrypted validators, run ${i + 1}/${repeats}: ` +
        `${fmtMs(run.wallMs)} wall, ${fmtMs(run.cpuMs)} CPU, ${Math.round(run.peakRssKb / 1024)} MiB; ` +
        `then scrypt ${fmtMs(runs.kdfCosts.at(-1)!.scryptMs)}; load ${loadavg()[0]!.toFixed(2)}`,
    );
  }
  return runs;
}

export async function benchEncryptedKeyFiles(options: {
  tmp: string;
  /** The chain configuration (ETHEREUM_NODE_URL, registry, provider). */
  config: Record<string, string>;
  log: (line: string) => void;
  repeats: number;
}): Promise<EncryptedBenchResult> {
  const { tmp, config, log, repeats } = options;
  const files = await encryptedKeyFiles(log);
  const cores = availableParallelism();
  if (ensureFreshBundle()) log("src/ changed: rebuilt dist/");
  const runs = await runEncrypted(files, options);
  const scryptMs = median(runs.kdfCosts.map((c) => c.scryptMs));
  const pbkdf2Ms = median(runs.kdfCosts.map((c) => c.pbkdf2Ms));
  const idealMs = (ENCRYPTED_VALIDATORS * (scryptMs + pbkdf2Ms)) / cores;
  const limitMs = idealMs * 1.1;
  const wallMs = median(runs.walls);
  const cpuMs = median(runs.cpus);
  const kdfCpuMs = ENCRYPTED_VALIDATORS * (scryptMs + pbkdf2Ms);
  const scryptRange = `${fmtMs(Math.min(...runs.kdfCosts.map((c) => c.scryptMs)))}–${fmtMs(Math.max(...runs.kdfCosts.map((c) => c.scryptMs)))}`;

  const ttyDir = join(tmp, "encrypted-tty");
  mkdirSync(ttyDir, { recursive: true });
  const tty = await runOnPseudoTerminal(
    files.encrypted,
    join(ttyDir, "public.json"),
    ttyDir,
    isolatedEnv(tmp, config),
  );
  const updates = (tty.terminal.match(/decrypting keystores: \d+\/\d+/g) ?? []).length;
  log(`on a pseudo-terminal: ${updates} progress updates (exit ${tty.code})`);

  const kdfNote = `scrypt ${fmtMs(scryptMs)} (${scryptRange} over ${runs.kdfCosts.length} measurements around the runs), pbkdf2 ${fmtMs(pbkdf2Ms)}`;
  const lines = [
    `encrypted validators: ${kdfNote} per validator on one core; ` +
      `${ENCRYPTED_VALIDATORS} on ${cores} cores: ideal ${fmtMs(idealMs)}, measured median ${fmtMs(wallMs)} ` +
      `(runs ${runs.walls.map((w) => fmtMs(w)).join(", ")}; ${(wallMs / idealMs).toFixed(2)}× the ideal), peak RSS ${Math.round(runs.peakRssKb / 1024)} MiB`,
  ];
  return {
    lines,
    targets: [
      {
        target: `process-private-keys, ${ENCRYPTED_VALIDATORS} encrypted validators (Aztec's format) ≤ 1.1 × ${ENCRYPTED_VALIDATORS} × (scrypt + pbkdf2) / ${cores} cores = ${fmtMs(limitMs)} (median of ${repeats})`,
        measured: `${fmtMs(wallMs)} (${(wallMs / idealMs).toFixed(2)}× the ideal ${fmtMs(idealMs)}; ${kdfNote}, measured here)`,
        met: wallMs <= limitMs,
      },
      {
        // Independent of other load on the machine: the work the CLI does beyond the kdfs.
        target: `CPU time of those runs ≤ 1.1 × ${ENCRYPTED_VALIDATORS} × (scrypt + pbkdf2) = ${fmtMs(kdfCpuMs * 1.1)}`,
        measured: `${fmtMs(cpuMs)} (${(cpuMs / kdfCpuMs).toFixed(2)}×; median of ${repeats}; wall/CPU parallelism ${(cpuMs / wallMs).toFixed(2)} of ${cores} cores, load ${loadavg()[0]!.toFixed(2)})`,
        met: cpuMs <= kdfCpuMs * 1.1,
      },
      {
        target: "encrypted key file gives the same public-key file as the same keys in the clear",
        measured: runs.same ? "identical in every run" : "DIFFERENT",
        met: runs.same,
      },
      {
        target: "progress while decrypting keystores on a terminal",
        measured:
          tty.code === 0
            ? `${updates} updates on a pseudo-terminal`
            : `not checked (script exited ${tty.code})`,
        met: tty.code !== 0 || updates > 0,
      },
    ],
  };
}

/** Alone: a chain of its own, an empty queue. */
async function runAlone(): Promise<number> {
  const { startRegistryChain } = await import("../tests/support/registry-chain.js");
  const net = await startRegistryChain();
  const tmp = mkdtempSync(join(tmpdir(), "butler-bench-enc-"));
  try {
    const result = await benchEncryptedKeyFiles({
      tmp,
      config: net.env,
      log: (line) => process.stderr.write(`bench: ${line}\n`),
      repeats: Math.max(1, Number(process.env.BENCH_REPEATS ?? 3)),
    });
    for (const line of result.lines) process.stdout.write(`${line}\n`);
    for (const t of result.targets)
      process.stdout.write(`${t.met ? "met   " : "MISSED"} ${t.target}: ${t.measured}\n`);
    return result.targets.every((t) => t.met) ? 0 : 1;
  } finally {
    await net.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAlone().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(
        `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
