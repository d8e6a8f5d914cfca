import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { getAddress, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAccounts, setBalances } from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { startRpcProxy } from "../support/rpc-proxy.js";
import { expectNodeLoads, expectNodeSigns } from "../support/node-keystore.js";
import { expectRefusal, recordDirs, type Refusal as RefusalCheck } from "../support/refusal.js";

const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const phase3 = join(ownPhasesDir, "after_phase3", "on-dev-machine");
const PROD = "prod-testnet-keyfile.json";
const PUBS = "testnet_available_publisher_addresses.json";
const NEW = "new-public-keys.json";
const ZERO = "0x0000000000000000000000000000000000000000";
const SIGNER = "https://web3signer.butler-fixture.example:9000";

type Json = Record<string, unknown>;
interface Validator {
  attester: { eth: string; bls: string };
  publisher?: string | string[];
  coinbase?: string;
  feeRecipient: string;
  [field: string]: unknown;
}
interface KeyFile {
  validators: Validator[];
  [field: string]: unknown;
}
interface ScraperEntry {
  address: string;
  coinbase: string;
  publisher: string;
  lastSeenState?: string;
  [field: string]: unknown;
}

const readJson = <T = Json>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const jsonText = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

const production = readJson<KeyFile>(join(phase2, PROD));
const newKeys = readJson<KeyFile>(join(phase2, NEW));
const [P1, P2, P3] = readJson<string[]>(join(phase2, PUBS)) as [string, string, string];
/** Addresses no test funds unless it says so (a block of their own, away from anvil's accounts). */
const freshAddress = (n: number) =>
  getAddress(`0x${"b0".repeat(12)}${n.toString(16).padStart(16, "0")}`);
const UNRELATED = freshAddress(0x777);

let net: RegistryChain;
beforeAll(async () => {
  net = await startRegistryChain();
  await fundAccounts(net.chain, [P1, P2, P3], parseEther("10"));
});
afterAll(async () => {
  await net?.stop();
});

/** A temp copy of after_phase2 and a data dir of its own (where the scraper config lives). */
class Workspace {
  readonly dir = copyToTemp(phase2);
  readonly data = tempDir("butler-data-");
  readonly scraperPath = join(this.data, "aztec-butler", "testnet-scrape-config.json");

  path(name: string): string {
    return join(this.dir, name);
  }
  read<T = Json>(name: string): T {
    return readJson<T>(this.path(name));
  }
  write(name: string, value: unknown): void {
    writeFileSync(this.path(name), typeof value === "string" ? value : jsonText(value));
  }
  edit<T = KeyFile>(name: string, change: (value: T) => void): void {
    const value = this.read<T>(name);
    change(value);
    this.write(name, value);
  }
  seedScraperConfig(attesters: object[], extra: Json = {}): void {
    mkdirSync(join(this.data, "aztec-butler"), { recursive: true });
    writeFileSync(this.scraperPath, jsonText(scraperConfig(attesters, extra)));
  }
  /** Runs prepare-deployment as a child process, as an operator does. */
  run(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runCli(["prepare-deployment", ...args], {
      cwd: this.dir,
      env: { ...net.env, XDG_DATA_HOME: this.data, ...env },
    });
  }
  /** The same, in this process (refusal lists: a fraction of the time, same program). */
  runInProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runInProcess(["prepare-deployment", ...args], {
      cwd: this.dir,
      env: { ...net.env, XDG_DATA_HOME: this.data, ...env },
    });
  }
}

function scraperConfig(attesters: object[], extra: Json = {}): Json {
  return {
    network: "testnet",
    l1ChainId: net.chain.chainId,
    stakingProviderId: String(net.providerId),
    stakingProviderAdmin: net.admin,
    attesters,
    lastUpdated: "2025-01-01T00:00:00.000Z",
    version: "1.0",
    ...extra,
  };
}

const defaultArgs = [PROD, PUBS, "--new-public-keys", NEW];

/** A checksummed address with its first letter's case flipped: still hex, no longer its checksum. */
function flipFirstLetterCase(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address[i]!;
  return (
    address.slice(0, i) +
    (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) +
    address.slice(i + 1)
  );
}

interface Refusal {
  name: string;
  prepare?: (ws: Workspace) => void | Promise<void>;
  args?: string[];
  code: number;
  /** The whole stderr line after "error: ", or a pattern for it: spawned cases only. */
  error?: string | RegExp | ((ws: Workspace) => string);
  /** The error in-process cases fail with: its class and code, and where (file, validator, field). */
  thrown?: RefusalCheck["thrown"];
  /** Run as a child process (a smoke test of the spawned CLI); the others run in-process. */
  spawned?: true;
}

const refusals: Refusal[] = [
  // New public keys: --new-public-keys, else the single public-*.json in the CWD.
  {
    name: "to guess the new keys when the CWD holds no public-*.json",
    args: [PROD, PUBS],
    code: 64,
    thrown: { name: "UsageError", code: "NO_SINGLE_PUBLIC_KEYS_FILE" },
  },
  {
    name: "to guess the new keys when the CWD holds several public-*.json",
    prepare: (ws) => {
      copyFileSync(ws.path(NEW), ws.path("public-b.json"));
      renameSync(ws.path(NEW), ws.path("public-a.json"));
    },
    args: [PROD, PUBS],
    code: 64,
    thrown: { name: "UsageError", code: "NO_SINGLE_PUBLIC_KEYS_FILE" },
  },
  {
    name: "a private-key file passed as --new-public-keys",
    args: [PROD, PUBS, "--new-public-keys", "new-private-keys.json"],
    code: 65,
    thrown: { name: "InputError", code: "PRIVATE_KEY_FILE_GIVEN", file: "new-private-keys.json" },
  },

  // The publishers file.
  {
    name: "a publishers file with an invalid address",
    prepare: (ws) => ws.write("pubs.json", [P1, "0x1234", P3]),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "INVALID_ADDRESS", file: "pubs.json", field: "[1]" },
  },
  {
    name: "a publishers file with a mistyped checksummed address (one letter's case flipped)",
    prepare: (ws) => ws.write("pubs.json", [P1, flipFirstLetterCase(P2), P3]),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "INVALID_ADDRESS", file: "pubs.json", field: "[1]" },
  },
  {
    name: "a new attester address with a wrong checksum",
    prepare: (ws) =>
      ws.edit(
        NEW,
        (f) => (f.validators[3]!.attester.eth = flipFirstLetterCase(f.validators[3]!.attester.eth)),
      ),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_ADDRESS",
      file: "new-public-keys.json",
      index: 3,
      field: "attester.eth",
    },
  },
  {
    name: "a publishers file listing an address twice (different case)",
    prepare: (ws) => ws.write("pubs.json", [P1, P2, P1.toLowerCase()]),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_PUBLISHER", file: "pubs.json" },
  },
  {
    name: "an empty publishers list",
    prepare: (ws) => ws.write("pubs.json", []),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "EMPTY_LIST", file: "pubs.json" },
  },
  {
    name: "a per-server publishers file with an address under two servers",
    prepare: (ws) => ws.write("pubs.json", { "node-a": [P1, P2], "node-b": [P3, P2] }),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_PUBLISHER", file: "pubs.json" },
  },
  {
    name: "a per-server publishers file with an empty server",
    prepare: (ws) => ws.write("pubs.json", { "node-a": [P1], "node-b": [] }),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "InputError", code: "EMPTY_LIST", file: "pubs.json", field: "node-b" },
  },

  // Duplicate attesters and zero coinbases.
  {
    name: "a duplicate attester eth address within the production file (different case)",
    prepare: (ws) =>
      ws.edit(
        PROD,
        (f) => (f.validators[3]!.attester.eth = f.validators[0]!.attester.eth.toLowerCase()),
      ),
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_ATTESTER" },
  },
  {
    name: "a new bls key already in the production file",
    prepare: (ws) =>
      ws.edit(NEW, (f) => (f.validators[2]!.attester.bls = production.validators[1]!.attester.bls)),
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_ATTESTER" },
  },
  {
    name: "new keys repeated across two --new-public-keys files, listing every duplicate",
    prepare: (ws) => {
      const upper = (eth: string) => `0x${eth.slice(2).toUpperCase()}`;
      const [n0, n5] = [newKeys.validators[0]!, newKeys.validators[5]!];
      ws.write("more-keys.json", {
        schemaVersion: 1,
        validators: [
          { ...n5, attester: { eth: upper(n5.attester.eth), bls: n5.attester.bls } },
          n0,
        ],
      });
    },
    args: [PROD, PUBS, "--new-public-keys", NEW, "--new-public-keys", "more-keys.json"],
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_ATTESTER" },
  },
  {
    name: "a validator whose coinbase is the zero address",
    prepare: (ws) => ws.edit(PROD, (f) => (f.validators[2]!.coinbase = ZERO)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "ZERO_COINBASE",
      file: "prod-testnet-keyfile.json",
      index: 2,
      field: "coinbase",
    },
  },

  {
    name: "a schemaVersion 2 file-wide coinbase of the zero address",
    prepare: (ws) =>
      ws.edit(PROD, (f) => {
        f.schemaVersion = 2;
        f.coinbase = ZERO;
      }),
    code: 65,
    thrown: {
      name: "InputError",
      code: "ZERO_COINBASE",
      file: "prod-testnet-keyfile.json",
      field: "coinbase",
    },
  },

  // Production attesters and publishers must be public keys, one attester per entry.
  {
    name: "a private key as a production attester",
    prepare: (ws) => ws.edit(PROD, (f) => (f.validators[1]!.attester.eth = `0x${"ab".repeat(32)}`)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "PRIVATE_KEY_AS_ADDRESS",
      file: "prod-testnet-keyfile.json",
      index: 1,
      field: "attester.eth",
    },
  },
  {
    name: "a private key among a production validator's publishers",
    prepare: (ws) =>
      ws.edit(PROD, (f) => (f.validators[2]!.publisher = [P1, `0x${"cd".repeat(32)}`])),
    code: 65,
    thrown: {
      name: "InputError",
      code: "PRIVATE_KEY_AS_ADDRESS",
      file: "prod-testnet-keyfile.json",
      index: 2,
      field: "publisher[1]",
    },
  },
  {
    name: "several attesters in one production validator entry",
    prepare: (ws) =>
      ws.edit(PROD, (f) => {
        (f.validators[0] as Json).attester = [f.validators[0]!.attester, f.validators[1]!.attester];
      }),
    code: 65,
    thrown: {
      name: "InputError",
      code: "SEVERAL_ATTESTERS",
      file: "prod-testnet-keyfile.json",
      index: 0,
      field: "attester",
    },
  },
  {
    name: "a production attester given as an encrypted key file (no address to check)",
    prepare: (ws) =>
      ws.edit(
        PROD,
        (f) => ((f.validators[3]!.attester as Json).eth = { path: "/keys/attester-3.json" }),
      ),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_FIELD",
      file: "prod-testnet-keyfile.json",
      index: 3,
      field: "attester.eth",
    },
  },
  {
    name: "a new attester already in production as a remote signer account",
    prepare: (ws) =>
      ws.edit(PROD, (f) => {
        (f.validators[3] as Json).attester = {
          address: newKeys.validators[4]!.attester.eth.toLowerCase(),
          remoteSignerUrl: SIGNER,
        };
      }),
    code: 65,
    thrown: { name: "InputError", code: "DUPLICATE_ATTESTER" },
  },

  // --high-availability-count.
  ...["0", "2.5", "abc"].map((n): Refusal => ({
    name: `--high-availability-count ${n}`,
    args: [...defaultArgs, "--high-availability-count", n],
    code: 64,
    thrown: { name: "UsageError", code: "INVALID_OPTION_VALUE" },
  })),
  {
    name: "--high-availability-count above the number of publishers",
    args: [...defaultArgs, "--high-availability-count", "4"],
    code: 65,
    thrown: {
      name: "InputError",
      code: "TOO_FEW_PUBLISHERS",
      file: "testnet_available_publisher_addresses.json",
    },
  },
  {
    name: "--high-availability-count disagreeing with a per-server publishers file",
    prepare: (ws) => ws.write("pubs.json", { "node-a": [P1], "node-b": [P2, P3] }),
    args: [PROD, "pubs.json", "--new-public-keys", NEW, "--high-availability-count", "3"],
    code: 65,
    thrown: { name: "InputError", code: "HIGH_AVAILABILITY_MISMATCH", file: "pubs.json" },
  },

  // What Aztec's node loader would reject.
  {
    name: "a per-validator field the node's loader rejects",
    prepare: (ws) => ws.edit(PROD, (f) => (f.validators[1]!.note = "rotated in May")),
    code: 65,
    thrown: {
      name: "InputError",
      code: "NODE_REJECTS_KEY_FILE",
      file: "prod-testnet-keyfile.json",
      index: 1,
    },
  },
  {
    name: "a top-level field the node's loader rejects",
    prepare: (ws) => ws.edit(PROD, (f) => (f.comment = "testnet keys")),
    code: 65,
    thrown: {
      name: "InputError",
      code: "NODE_REJECTS_KEY_FILE",
      file: "prod-testnet-keyfile.json",
    },
  },
  {
    name: "a new feeRecipient beyond the BN254 field modulus (not an Aztec address)",
    prepare: (ws) => ws.edit(NEW, (f) => (f.validators[2]!.feeRecipient = `0x${"f".repeat(64)}`)),
    code: 65,
    thrown: {
      name: "InputError",
      code: "INVALID_ADDRESS",
      file: "new-public-keys.json",
      index: 2,
      field: "feeRecipient",
    },
  },
  {
    name: "a schemaVersion 2 file-wide feeRecipient beyond the field modulus, which makes the node's parser throw",
    prepare: (ws) =>
      ws.edit(PROD, (f) => {
        f.schemaVersion = 2;
        f.feeRecipient = `0x${"f".repeat(64)}`;
      }),
    code: 65,
    thrown: {
      name: "InputError",
      code: "NODE_REJECTS_KEY_FILE",
      file: "prod-testnet-keyfile.json",
    },
  },
  {
    name: "production validators that set different remoteSigners and no top-level one (nothing to give the new validators)",
    prepare: (ws) =>
      ws.edit(PROD, (f) => {
        delete f.remoteSigner;
        f.validators.forEach(
          (v, i) => (v.remoteSigner = `https://signer-${i % 2}.butler-fixture.example:9000`),
        );
      }),
    code: 65,
    thrown: {
      name: "InputError",
      code: "NO_REMOTE_SIGNER",
      file: "prod-testnet-keyfile.json",
      field: "remoteSigner",
    },
  },
  {
    name: "a production file with no remoteSigner anywhere (nothing signs for any validator)",
    prepare: (ws) => ws.edit(PROD, (f) => delete f.remoteSigner),
    code: 65,
    thrown: {
      name: "InputError",
      code: "NODE_REJECTS_KEY_FILE",
      file: "prod-testnet-keyfile.json",
      index: 0,
    },
  },

  // Outputs are never overwritten.
  {
    name: "an --output that exists",
    prepare: (ws) => writeFileSync(ws.path("other.json"), "{}\n"),
    args: [...defaultArgs, "--output", "other.json"],
    code: 73,
    thrown: { name: "OutputExistsError", code: "EXISTS", file: "other.json" },
  },
  // An output is never an input (exit 64), whatever the name (issue 15).
  {
    name: "an --output that is the production file itself",
    args: [...defaultArgs, "--output", PROD],
    code: 64,
    thrown: { name: "UsageError", code: "OUTPUT_IS_AN_INPUT", file: "prod-testnet-keyfile.json" },
  },

  // The existing scraper config.
  {
    name: "a scraper config that is not valid JSON",
    prepare: (ws) =>
      writeFileSync(ws.scraperPath, '{\n  "network": "testnet",\n  "attesters": [\n'),
    code: 65,
    thrown: { name: "InputError", code: "INVALID_JSON" },
  },
  {
    name: "a scraper config that does not match its schema",
    prepare: (ws) =>
      ws.seedScraperConfig([
        { address: UNRELATED, coinbase: ZERO, publisher: ZERO },
        { address: "0x12", coinbase: ZERO, publisher: ZERO },
      ]),
    code: 65,
    thrown: { name: "InputError", code: "INVALID_ADDRESS", field: "attesters[1].address" },
  },
  {
    name: "a scraper config for another chain",
    prepare: (ws) => ws.seedScraperConfig([], { l1ChainId: 11155111 }),
    code: 78,
    error: (ws) =>
      `scraper config ${ws.scraperPath} is for chain 11155111 but the node is on chain ${net.chain.chainId}; ` +
      "wrong --network or ETHEREUM_NODE_URL?",
    spawned: true,
  },

  // Funding.
  {
    name: "a publisher without any ETH",
    prepare: (ws) => ws.write("pubs.json", [P1, freshAddress(0x0e)]),
    args: [PROD, "pubs.json", "--new-public-keys", NEW],
    code: 65,
    thrown: { name: "ChainRefusalError", code: "PUBLISHER_WITHOUT_ETH", file: "pubs.json" },
  },
];

describe("prepare-deployment refuses, writing nothing (directory and scraper config byte-identical)", () => {
  it.each(refusals)(
    "refuses $name",
    async ({ prepare, args = defaultArgs, code, error, thrown, spawned }) => {
      const ws = new Workspace();
      // An existing scraper config, so that "unchanged" means something.
      ws.seedScraperConfig([
        { address: UNRELATED, coinbase: ZERO, publisher: ZERO, lastSeenState: "ACTIVE" },
      ]);
      await prepare?.(ws);
      const unchanged = recordDirs(ws.dir, ws.data);

      const run = spawned ? await ws.run(args) : await ws.runInProcess(args);

      expectRefusal(run, {
        code,
        error: typeof error === "function" ? error(ws) : error,
        thrown,
        unchanged,
      });
    },
  );
});

describe("prepare-deployment writes", () => {
  it("finds the single public-*.json, writes .new, then .new2 and .new3 without touching earlier files, and creates the scraper config from the chain", async () => {
    const ws = new Workspace();
    renameSync(ws.path(NEW), ws.path("public-new-private-keys.json"));
    const expectedText = readFileSync(join(phase3, `${PROD}.new`), "utf8");

    const first = await ws.run([PROD, PUBS]);
    expect(first.stderr).toBe(
      "using new public keys from public-new-private-keys.json (found in the current directory)\n",
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `wrote ${PROD}.new (10 validators: 4 existing + 6 new, 3 publishers)\n` +
        `updated scraper config ${ws.scraperPath} (10 attesters, 6 in state NEW)\n`,
    );
    // The specification's after_phase3 file: production content kept, 6 validators appended
    // without coinbase (zero feeRecipient kept), publishers round-robin over all 10.
    expect(readFileSync(ws.path(`${PROD}.new`), "utf8")).toBe(expectedText);
    expectNodeLoads(ws.path(`${PROD}.new`));
    const created = readJson<Json & { attesters: ScraperEntry[] }>(ws.scraperPath);
    expect(created).toMatchObject({
      network: "testnet",
      l1ChainId: net.chain.chainId,
      stakingProviderId: String(net.providerId),
      stakingProviderAdmin: net.admin,
      version: "1.0",
    });
    expect(created.attesters.map((a) => a.lastSeenState ?? "-")).toEqual([
      ...Array(4).fill("-"),
      ...Array(6).fill("NEW"),
    ]);
    const hashOfNew = sha256(ws.path(`${PROD}.new`));

    const second = await ws.runInProcess([PROD, PUBS]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      new RegExp(`^wrote ${PROD.replace(/\./g, "\\.")}\\.new2 \\(10 validators`),
    );
    expect(readFileSync(ws.path(`${PROD}.new2`), "utf8")).toBe(expectedText);

    const third = await ws.runInProcess([PROD, PUBS]);
    expect(third.code).toBe(0);
    expect(readFileSync(ws.path(`${PROD}.new3`), "utf8")).toBe(expectedText);
    expect(sha256(ws.path(`${PROD}.new`))).toBe(hashOfNew);
    expect(readdirSync(ws.dir).sort()).toEqual(
      [
        PROD,
        `${PROD}.new`,
        `${PROD}.new2`,
        `${PROD}.new3`,
        "new-private-keys.json",
        "public-new-private-keys.json",
        PUBS,
      ].sort(),
    );
    expect(readdirSync(join(ws.data, "aztec-butler"))).toEqual(["testnet-scrape-config.json"]);
    // Re-running merges into the same config: same attesters, same states.
    expect(readJson<Json>(ws.scraperPath).attesters).toEqual(created.attesters);
  });

  it("accepts production attesters the node accepts in other forms (an address, a remote signer account) and a schemaVersion 2 default coinbase, and tracks them in the scraper config", async () => {
    const ws = new Workspace();
    const [v0, v1, v2] = production.validators as [Validator, Validator, Validator];
    const DEFAULT_COINBASE = freshAddress(0xc0);
    ws.edit(PROD, (f) => {
      f.schemaVersion = 2;
      f.coinbase = DEFAULT_COINBASE;
      (f.validators[0] as Json).attester = v0.attester.eth;
      (f.validators[1] as Json).attester = {
        eth: { address: v1.attester.eth, remoteSignerUrl: SIGNER },
      };
      (f.validators[2] as Json).attester = { address: v2.attester.eth, remoteSignerUrl: SIGNER };
      delete f.validators[2]!.coinbase;
    });
    const input = ws.read<KeyFile>(PROD);
    expectNodeLoads(ws.path(PROD));

    const run = await ws.runInProcess(defaultArgs);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = ws.read<KeyFile>(`${PROD}.new`);
    expectNodeLoads(ws.path(`${PROD}.new`));
    // The production entries are kept as they were but for their publishers.
    expect(written.validators.slice(0, 4)).toEqual(
      input.validators.map((v, i) => ({ ...v, publisher: [P1, P2, P3][i % 3] })),
    );
    expect(written.coinbase).toBe(DEFAULT_COINBASE);
    const scraper = readJson<{ attesters: ScraperEntry[] }>(ws.scraperPath);
    expect(scraper.attesters.slice(0, 4)).toEqual([
      { address: v0.attester.eth, coinbase: v0.coinbase, publisher: P1 },
      { address: v1.attester.eth, coinbase: v1.coinbase, publisher: P2 },
      // No coinbase of its own: the file-wide default applies.
      { address: v2.attester.eth, coinbase: DEFAULT_COINBASE, publisher: P3 },
      {
        address: production.validators[3]!.attester.eth,
        coinbase: production.validators[3]!.coinbase ?? DEFAULT_COINBASE,
        publisher: P1,
      },
    ]);
  });

  it("without a staking provider configured and no scraper config yet, writes the key file and says the scraper config was not created", async () => {
    const ws = new Workspace();
    const run = await ws.runInProcess(defaultArgs, { AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: "" });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `wrote ${PROD}.new (10 validators: 4 existing + 6 new, 3 publishers)\n`,
    );
    expect(run.stderr).toBe(
      `warning: scraper config ${ws.scraperPath} not created: creating it needs the staking provider, ` +
        "and neither AZTEC_STAKING_PROVIDER_ID nor AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS is set. The key " +
        "files are complete; to record the new attesters as NEW, set one and run prepare-deployment " +
        "again (it writes the same key file under the next free name)\n",
    );
    expect(readFileSync(ws.path(`${PROD}.new`), "utf8")).toBe(
      readFileSync(join(phase3, `${PROD}.new`), "utf8"),
    );
    expect(snapshot(ws.data)).toEqual({});
  });

  it("gives the new validators the remoteSigner every production validator sets alike, when the file has none of its own", async () => {
    const ws = new Workspace();
    const signer = { remoteSignerUrl: SIGNER, certPath: "/etc/web3signer/client.p12" };
    ws.edit(PROD, (f) => {
      delete f.remoteSigner;
      for (const v of f.validators) v.remoteSigner = signer;
    });
    expectNodeSigns(ws.path(PROD));

    const run = await ws.runInProcess(defaultArgs);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = ws.read<KeyFile>(`${PROD}.new`);
    expect(written.remoteSigner).toBeUndefined();
    expect(written.validators.slice(4)).toEqual(
      newKeys.validators.map((v, i) => ({
        attester: v.attester,
        publisher: [P2, P3, P1][i % 3],
        feeRecipient: v.feeRecipient,
        remoteSigner: signer,
      })),
    );
    expectNodeSigns(ws.path(`${PROD}.new`));
  });

  it("keeps a schemaVersion 2 file as it was (node-accepted extra fields, key order), appends the new validators, warns about low funding, reads balances in one batch", async () => {
    const ws = new Workspace();
    const [v0, v1, v2, v3] = production.validators as [Validator, Validator, Validator, Validator];
    const [SLASHER, PROVER, FUNDER, FUNDER2, OLD1, OLD2] = [0x51, 0x52, 0x53, 0x54, 0x55, 0x56].map(
      freshAddress,
    ) as [string, string, string, string, string, string];
    const [p1, p2, p3] = [0xa1, 0xa2, 0xa3].map(freshAddress) as [string, string, string];
    await setBalances(net.chain, [
      { address: p1, wei: parseEther("0.25") },
      { address: p2, wei: parseEther("0.3") },
      { address: p3, wei: parseEther("5") },
    ]);
    ws.write("pubs.json", [p1, p2, p3]);
    const productionV2 = (
      publishers: (string | string[] | undefined)[],
    ): { validators: object[]; [field: string]: unknown } => ({
      schemaVersion: 2,
      remoteSigner: { remoteSignerUrl: SIGNER },
      validators: [
        {
          feeRecipient: v0.feeRecipient,
          attester: v0.attester,
          coinbase: v0.coinbase,
          publisher: publishers[0],
          remoteSigner: "https://signer-2.butler-fixture.example:9100",
          fundingAccount: FUNDER2,
        },
        {
          attester: v1.attester,
          publisher: publishers[1],
          feeRecipient: v1.feeRecipient,
          coinbase: v1.coinbase,
        },
        // No publisher: it gets one right after attester.
        publishers[2] === undefined
          ? { attester: v2.attester, feeRecipient: v2.feeRecipient, coinbase: v2.coinbase }
          : {
              attester: v2.attester,
              publisher: publishers[2],
              feeRecipient: v2.feeRecipient,
              coinbase: v2.coinbase,
            },
        {
          attester: { bls: v3.attester.bls, eth: v3.attester.eth },
          publisher: publishers[3],
          feeRecipient: v3.feeRecipient,
        },
      ],
      slasher: SLASHER,
      prover: PROVER,
      fundingAccount: FUNDER,
    });
    ws.write("prod-v2.json", productionV2([OLD1, [OLD1, OLD2], undefined, OLD2]));
    expectNodeLoads(ws.path("prod-v2.json"));
    mkdirSync(ws.path("out"));
    const requests: string[][] = [];
    const proxy = await startRpcProxy(net.chain.rpcUrl, {
      onRequest: (calls) => requests.push(calls.map((c) => String(c.method))),
    });
    let run: CliResult;
    try {
      run = await ws.runInProcess(
        ["prod-v2.json", "pubs.json", "--new-public-keys", NEW, "-o", "out/next.json"],
        {
          ETHEREUM_NODE_URL: proxy.url,
          MIN_ETH_PER_ATTESTER: "0.1",
        },
      );
    } finally {
      await proxy.stop();
    }

    // p1 serves validators 0, 3, 6, 9; p2 and p3 three each (p2 has exactly enough).
    expect(run.stderr).toBe(
      `warning: publisher ${p1} has 0.25 ETH, below the 0.4 ETH its 4 attesters need (MIN_ETH_PER_ATTESTER × 4)\n`,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^wrote out\/next\.json \(10 validators: 4 existing \+ 6 new, 3 publishers\)\n/,
    );
    const expected = productionV2([p1, p2, p3, p1]);
    expected.validators.push(
      ...newKeys.validators.map((v, i) => ({
        attester: v.attester,
        publisher: [p2, p3, p1][i % 3]!,
        feeRecipient: v.feeRecipient,
      })),
    );
    expect(readFileSync(ws.path("out/next.json"), "utf8")).toBe(jsonText(expected));
    expectNodeLoads(ws.path("out/next.json"));
    expect(readdirSync(ws.path("out"))).toEqual(["next.json"]);

    // The chain id and all three balances went out in one HTTP request.
    const balanceRequests = requests.filter((methods) => methods.includes("eth_getBalance"));
    expect(balanceRequests).toHaveLength(1);
    expect(balanceRequests[0]!.filter((m) => m === "eth_getBalance")).toHaveLength(3);
    expect(balanceRequests[0]).toContain("eth_chainId");
  });

  it("writes <server>_<file>.new per server sharing no publisher, and merges the scraper config (states kept, duplicates merged preferring non-zero, unrelated and unknown fields kept)", async () => {
    const ws = new Workspace();
    ws.write("pubs.json", { "node-a": [P1, P2], "node-b": [P3] });
    const [v0, v1, v2, v3] = production.validators as [Validator, Validator, Validator, Validator];
    const n = newKeys.validators;
    const C3 = freshAddress(0xc3);
    const OLD = freshAddress(0x01d);
    ws.seedScraperConfig(
      [
        {
          address: v0.attester.eth.toLowerCase(),
          coinbase: ZERO,
          publisher: OLD,
          lastSeenState: "ACTIVE",
          note: "first",
        },
        {
          address: UNRELATED,
          coinbase: ZERO,
          publisher: OLD,
          lastSeenState: "NO_LONGER_ACTIVE",
          label: "old",
        },
        {
          address: v3.attester.eth,
          coinbase: ZERO,
          publisher: OLD,
          lastSeenState: "IN_STAKING_QUEUE",
        },
        { address: v3.attester.eth.toLowerCase(), coinbase: C3, publisher: ZERO, label: "dup" },
        { address: n[0]!.attester.eth, coinbase: ZERO, publisher: ZERO },
        {
          address: n[1]!.attester.eth,
          coinbase: ZERO,
          publisher: OLD,
          lastSeenState: "IN_STAKING_PROVIDER_QUEUE",
        },
      ],
      { scrapeIntervalSeconds: 30 },
    );
    const before = readJson<Json>(ws.scraperPath);

    const run = await ws.runInProcess([PROD, "pubs.json", "--new-public-keys", NEW]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `wrote node-a_${PROD}.new (10 validators: 4 existing + 6 new, 2 publishers)\n` +
        `wrote node-b_${PROD}.new (10 validators: 4 existing + 6 new, 1 publisher)\n` +
        `updated scraper config ${ws.scraperPath} (11 attesters, 5 in state NEW)\n`,
    );
    expect(
      readdirSync(ws.dir)
        .filter((name) => name.endsWith(".new"))
        .sort(),
    ).toEqual([`node-a_${PROD}.new`, `node-b_${PROD}.new`]);
    const fileA = ws.read<KeyFile>(`node-a_${PROD}.new`);
    const fileB = ws.read<KeyFile>(`node-b_${PROD}.new`);
    const attesters = [...production.validators, ...n].map((v) => v.attester);
    for (const file of [fileA, fileB]) {
      expect(file.validators.map((v) => v.attester)).toEqual(attesters);
      expect(file.remoteSigner).toBe(SIGNER);
    }
    expect(fileA.validators.map((v) => v.publisher)).toEqual(
      Array.from({ length: 10 }, (_, i) => [P1, P2][i % 2]),
    );
    expect(fileB.validators.map((v) => v.publisher)).toEqual(Array(10).fill(P3));
    expectNodeLoads(ws.path(`node-a_${PROD}.new`));
    expectNodeLoads(ws.path(`node-b_${PROD}.new`));

    // The scraper config follows the first file (node-a).
    const after = readJson<Json & { attesters: ScraperEntry[] }>(ws.scraperPath);
    // Everything but the attesters and lastUpdated stays, unknown top-level fields included.
    const unchanged = { attesters: undefined, lastUpdated: undefined };
    expect({ ...after, ...unchanged }).toEqual({ ...before, ...unchanged });
    expect(after.lastUpdated).not.toBe(before.lastUpdated);
    expect(after.attesters).toEqual([
      // Listed: deployment's non-zero coinbase and new publisher win, state and unknown fields kept.
      {
        address: v0.attester.eth.toLowerCase(),
        coinbase: v0.coinbase,
        publisher: P1,
        lastSeenState: "ACTIVE",
        note: "first",
      },
      {
        address: UNRELATED,
        coinbase: ZERO,
        publisher: OLD,
        lastSeenState: "NO_LONGER_ACTIVE",
        label: "old",
      },
      // Listed twice: one entry, the non-zero coinbase (production has none), the first state.
      {
        address: v3.attester.eth,
        coinbase: C3,
        publisher: P2,
        lastSeenState: "IN_STAKING_QUEUE",
        label: "dup",
      },
      // A new key listed without a state becomes NEW; one with a state keeps it.
      { address: n[0]!.attester.eth, coinbase: ZERO, publisher: P1, lastSeenState: "NEW" },
      {
        address: n[1]!.attester.eth,
        coinbase: ZERO,
        publisher: P2,
        lastSeenState: "IN_STAKING_PROVIDER_QUEUE",
      },
      // Not listed yet: production ones without a state, new ones NEW.
      { address: v1.attester.eth, coinbase: v1.coinbase, publisher: P2 },
      { address: v2.attester.eth, coinbase: v2.coinbase, publisher: P1 },
      ...n.slice(2).map((v, i) => ({
        address: v.attester.eth,
        coinbase: ZERO,
        publisher: [P1, P2][i % 2],
        lastSeenState: "NEW",
      })),
    ]);
  });
});
