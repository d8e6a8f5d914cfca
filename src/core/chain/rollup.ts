/**
 * Reads of Aztec's rollup: where it is (found from the chain itself), its entry queue, and what it
 * knows about attesters. Every read is batched (the calls made together go out as one JSON-RPC
 * batch, RPC_BATCH_SIZE per HTTP request) and takes the block to read at, when the caller has one.
 */
import {
  concatHex,
  encodeAbiParameters,
  getAddress,
  numberToHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { attesterStatusReaderBytecode } from "./attester-status-reader-code.js";
import { ATTESTER_STATUS_NAMES, aztecRegistryAbi, aztecRollupAbi } from "../../types/abi/rollup.js";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import type { ButlerConfig } from "../config.js";
import { ChainRefusalError, ConfigError } from "../errors.js";
import {
  isRpcRefusal,
  isTransportFailure,
  onChain,
  toChainError,
  type ChainClient,
} from "./client.js";
import { readViewsAggregated } from "./multicall.js";

/** Aztec's rollup and GSE as a command uses them, with how each was found (for messages). */
export interface AztecL1 {
  rollup: Address;
  gse: Address;
  /** "the canonical rollup of Aztec's Registry 0x… (the staking registry's ROLLUP_REGISTRY())". */
  rollupDescribed: string;
  gseDescribed: string;
}

/** Where a read happens: the latest block unless the caller pins one. */
export interface AtBlock {
  blockNumber?: bigint;
}

type Settled<T> = T | Error;
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

/**
 * Aztec's rollup and GSE: the staking registry's ROLLUP_REGISTRY() → getCanonicalRollup() →
 * getGSE(). AZTEC_ROLLUP_ADDRESS and AZTEC_GSE_ADDRESS override the discovered ones; when both are
 * set, the rollup's getGSE() must be AZTEC_GSE_ADDRESS. Three rounds at most (each batched): the
 * Aztec Registry, its canonical rollup, the rollup's GSE and code.
 */
export async function resolveAztecL1(
  chain: ChainClient,
  config: ButlerConfig,
  stakingRegistry: Address,
  chainId: number,
  at: AtBlock = {},
): Promise<AztecL1> {
  const what = "finding Aztec's rollup and GSE";
  const { client } = chain;
  const { blockNumber } = at;
  const rollupSet = config.optional("AZTEC_ROLLUP_ADDRESS");
  const gseSet = config.optional("AZTEC_GSE_ADDRESS");
  const described = (key: "AZTEC_ROLLUP_ADDRESS" | "AZTEC_GSE_ADDRESS") =>
    `${key} (from ${config.sourceOf(key)})`;

  let rollup: Address;
  let rollupDescribed: string;
  if (rollupSet !== undefined) {
    rollup = getAddress(rollupSet);
    rollupDescribed = described("AZTEC_ROLLUP_ADDRESS");
  } else {
    const aztecRegistry = await onChain(chain, what, () =>
      settle(
        client.readContract({
          address: stakingRegistry,
          abi: stakingRegistryAbi,
          functionName: "ROLLUP_REGISTRY",
          blockNumber,
        }),
      ),
    );
    if (aztecRegistry instanceof Error) {
      if (isTransportFailure(aztecRegistry)) throw toChainError(chain, what, aztecRegistry);
      throw new ConfigError(
        "ROLLUP_NOT_FOUND",
        `the staking registry ${stakingRegistry} does not answer ROLLUP_REGISTRY(), so Aztec's rollup ` +
          "cannot be found from it; set AZTEC_ROLLUP_ADDRESS",
        {},
        { cause: aztecRegistry },
      );
    }
    if (aztecRegistry === zeroAddress) {
      throw new ConfigError(
        "ROLLUP_NOT_FOUND",
        `the staking registry ${stakingRegistry}'s ROLLUP_REGISTRY() is the zero address; set AZTEC_ROLLUP_ADDRESS`,
      );
    }
    const canonical = await onChain(chain, what, () =>
      settle(
        client.readContract({
          address: aztecRegistry,
          abi: aztecRegistryAbi,
          functionName: "getCanonicalRollup",
          blockNumber,
        }),
      ),
    );
    if (canonical instanceof Error) {
      if (isTransportFailure(canonical)) throw toChainError(chain, what, canonical);
      throw new ConfigError(
        "ROLLUP_NOT_FOUND",
        `Aztec's Registry ${getAddress(aztecRegistry)} (the staking registry's ROLLUP_REGISTRY()) does not ` +
          "answer getCanonicalRollup(); set AZTEC_ROLLUP_ADDRESS",
        {},
        { cause: canonical },
      );
    }
    if (canonical === zeroAddress) {
      throw new ConfigError(
        "ROLLUP_NOT_FOUND",
        `Aztec's Registry ${getAddress(aztecRegistry)} has no canonical rollup; set AZTEC_ROLLUP_ADDRESS`,
      );
    }
    rollup = getAddress(canonical);
    rollupDescribed =
      `the canonical rollup of Aztec's Registry ${getAddress(aztecRegistry)} ` +
      `(the staking registry's ROLLUP_REGISTRY())`;
  }

  const [code, gseOfRollup] = await onChain(chain, what, () =>
    Promise.all([
      client.getCode({ address: rollup, blockNumber }),
      settle(
        client.readContract({
          address: rollup,
          abi: aztecRollupAbi,
          functionName: "getGSE",
          blockNumber,
        }),
      ),
    ]),
  );
  if (!code || code === "0x") {
    throw new ConfigError(
      "NO_CONTRACT_CODE",
      `${rollupDescribed} is ${rollup}, which has no contract code on chain ${chainId}; wrong address or wrong chain?`,
    );
  }
  if (gseOfRollup instanceof Error) {
    if (isTransportFailure(gseOfRollup)) throw toChainError(chain, what, gseOfRollup);
    throw new ConfigError(
      "NOT_THE_ROLLUP",
      `${rollupDescribed} is ${rollup}, whose contract does not answer getGSE(); is it the rollup?`,
      {},
      { cause: gseOfRollup },
    );
  }
  if (gseOfRollup === zeroAddress) {
    throw new ConfigError(
      "NOT_THE_ROLLUP",
      `${rollupDescribed} is ${rollup}, whose getGSE() is the zero address`,
    );
  }
  if (gseSet === undefined) {
    return {
      rollup,
      gse: getAddress(gseOfRollup),
      rollupDescribed,
      gseDescribed: `the GSE of rollup ${rollup} (${rollupDescribed})`,
    };
  }
  const gse = getAddress(gseSet);
  if (rollupSet !== undefined && gse !== getAddress(gseOfRollup)) {
    throw new ConfigError(
      "GSE_MISMATCH",
      `${described("AZTEC_GSE_ADDRESS")} is ${gse}, but the GSE of ${described("AZTEC_ROLLUP_ADDRESS")} ` +
        `${rollup} is ${getAddress(gseOfRollup)}; they must agree (unset one of them)`,
    );
  }
  return { rollup, gse, rollupDescribed, gseDescribed: described("AZTEC_GSE_ADDRESS") };
}

/** The rollup's entry queue, in order (index 0 is flushed first), and the calls it took. */
export interface EntryQueue {
  attesters: Address[];
  calls: number;
}

/** Every attester in the rollup's entry queue: its length, then getEntryQueueAt(i) for all, batched. */
export async function readEntryQueue(
  chain: ChainClient,
  rollup: Address,
  at: AtBlock = {},
): Promise<EntryQueue> {
  const { client } = chain;
  const { blockNumber } = at;
  return onChain(chain, "reading the rollup's entry queue", async () => {
    const length = await client.readContract({
      address: rollup,
      abi: aztecRollupAbi,
      functionName: "getEntryQueueLength",
      blockNumber,
    });
    // Aggregated (multicall.ts): 2,000 entries are 50 eth_calls, not 2,000.
    const entries = (await readViewsAggregated(
      chain,
      Array.from({ length: Number(length) }, (_, i) => ({
        address: rollup,
        abi: aztecRollupAbi,
        functionName: "getEntryQueueAt",
        args: [BigInt(i)],
      })),
      at,
    )) as { attester: Address }[];
    return { attesters: entries.map((e) => getAddress(e.attester)), calls: 1 + entries.length };
  });
}

export type AttesterStatus = (typeof ATTESTER_STATUS_NAMES)[number];

/** What getAttesterView says about one attester. */
export interface AttesterView {
  attester: Address;
  status: AttesterStatus;
  effectiveBalance: bigint;
  /** The BLS public key in G1 the rollup holds for it ((0, 0) when it knows none). */
  publicKey: { x: bigint; y: bigint };
  withdrawer: Address;
}

/** getAttesterView for each attester, in order, batched. */
export async function readAttesterViews(
  chain: ChainClient,
  rollup: Address,
  attesters: readonly Address[],
  at: AtBlock = {},
): Promise<AttesterView[]> {
  const views = (await onChain(chain, "reading attesters from the rollup", () =>
    // Aggregated (multicall.ts): 10,000 attesters are 250 eth_calls, not 10,000.
    readViewsAggregated(
      chain,
      attesters.map((attester) => ({
        address: rollup,
        abi: aztecRollupAbi,
        functionName: "getAttesterView",
        args: [attester],
      })),
      at,
    ),
  )) as {
    status: number;
    effectiveBalance: bigint;
    config: { publicKey: { x: bigint; y: bigint }; withdrawer: Address };
  }[];
  return views.map((v, i) => {
    const status = ATTESTER_STATUS_NAMES[v.status];
    if (status === undefined) {
      throw new ConfigError(
        "NOT_THE_ROLLUP",
        `the rollup ${rollup} reports status ${v.status} for ${attesters[i]}, which is not one of ` +
          `${ATTESTER_STATUS_NAMES.join(", ")}; is it Aztec's rollup?`,
      );
    }
    return {
      attester: getAddress(attesters[i]!),
      status,
      effectiveBalance: v.effectiveBalance,
      publicKey: { x: v.config.publicKey.x, y: v.config.publicKey.y },
      withdrawer: getAddress(v.config.withdrawer),
    };
  });
}

/** An attester the rollup already knows, and where. */
export type RollupKnownAttester =
  | { attester: Address; where: "entry-queue"; position: number }
  | { attester: Address; where: "validator-set"; status: Exclude<AttesterStatus, "NONE"> };

/**
 * Which of `attesters` the rollup already knows: in its entry queue (position 0 is flushed next),
 * or with a getAttesterView status other than NONE. In the order of `attesters`. Pure.
 */
export function rollupKnownAttesters(
  attesters: readonly Address[],
  entryQueue: readonly Address[],
  views: readonly Pick<AttesterView, "attester" | "status">[],
): RollupKnownAttester[] {
  const queued = new Map<string, number>();
  entryQueue.forEach((a, i) => {
    if (!queued.has(a.toLowerCase())) queued.set(a.toLowerCase(), i);
  });
  const status = new Map(views.map((v) => [v.attester.toLowerCase(), v.status]));
  const known: RollupKnownAttester[] = [];
  for (const attester of attesters) {
    const position = queued.get(attester.toLowerCase());
    const s = status.get(attester.toLowerCase());
    if (s !== undefined && s !== "NONE") {
      known.push({ attester: getAddress(attester), where: "validator-set", status: s });
    } else if (position !== undefined) {
      known.push({ attester: getAddress(attester), where: "entry-queue", position });
    }
  }
  return known;
}

/** "0x… (in the rollup's entry queue at position 3)" / "0x… (VALIDATING in the rollup)". */
export function describeRollupKnown(known: RollupKnownAttester): string {
  return known.where === "entry-queue"
    ? `${known.attester} (in the rollup's entry queue at position ${known.position})`
    : `${known.attester} (${known.status} in the rollup)`;
}

/** Attesters per deployless status read: about 15k gas each, far below any node's eth_call cap. */
export const STATUSES_PER_READ = 500;

/**
 * The rollup's getStatus of each attester, in order: through AttesterStatusReader (one eth_call
 * per STATUSES_PER_READ attesters, all batched), else, when the node refuses those, getAttesterView
 * per attester (batched). Transport failures throw.
 */
export async function readAttesterStatuses(
  chain: ChainClient,
  rollup: Address,
  attesters: readonly Address[],
  at: AtBlock = {},
): Promise<{ statuses: AttesterStatus[]; calls: number }> {
  if (attesters.length === 0) return { statuses: [], calls: 0 };
  const slices: Address[][] = [];
  for (let i = 0; i < attesters.length; i += STATUSES_PER_READ) {
    slices.push(attesters.slice(i, i + STATUSES_PER_READ));
  }
  const block = at.blockNumber === undefined ? "latest" : numberToHex(at.blockNumber);
  const what = "reading attesters' status from the rollup";
  const answers = await onChain(chain, what, () =>
    Promise.all(
      slices.map((slice) =>
        chain.client
          .request({
            method: "eth_call",
            params: [
              {
                data: concatHex([
                  attesterStatusReaderBytecode,
                  encodeAbiParameters(
                    [{ type: "address" }, { type: "address[]" }],
                    [rollup, slice],
                  ),
                ]),
              },
              block,
            ],
          })
          .catch((error: unknown) => {
            if (isRpcRefusal(error)) return undefined;
            throw error;
          }),
      ),
    ),
  );
  const statuses: AttesterStatus[] = [];
  for (const [i, answer] of answers.entries()) {
    const bytes = typeof answer === "string" ? (answer as Hex).slice(2) : "";
    if (bytes.length !== slices[i]!.length * 2) return viaViews();
    for (let b = 0; b < bytes.length; b += 2) {
      const status = ATTESTER_STATUS_NAMES[parseInt(bytes.slice(b, b + 2), 16)];
      if (status === undefined) return viaViews();
      statuses.push(status);
    }
  }
  return { statuses, calls: slices.length };

  async function viaViews() {
    const views = await readAttesterViews(chain, rollup, attesters, at);
    return { statuses: views.map((v) => v.status), calls: slices.length + views.length };
  }
}

/**
 * The attesters among `attesters` that the rollup already knows: its whole entry queue and every
 * attester's status, read together (batched) at one block.
 */
export async function findRollupKnownAttesters(
  chain: ChainClient,
  rollup: Address,
  attesters: readonly Address[],
  at: AtBlock = {},
): Promise<{ known: RollupKnownAttester[]; calls: number }> {
  const [queue, read] = await Promise.all([
    readEntryQueue(chain, rollup, at),
    readAttesterStatuses(chain, rollup, attesters, at),
  ]);
  const views = read.statuses.map((status, i) => ({ attester: attesters[i]!, status }));
  return {
    known: rollupKnownAttesters(attesters, queue.attesters, views),
    calls: queue.calls + read.calls,
  };
}

/**
 * Refuses keys the rollup already knows (a re-run, or keys used elsewhere): their attesters,
 * each with where the rollup has it. Nothing may be written or printed after this.
 */
export function refuseRollupKnownAttesters(
  known: readonly RollupKnownAttester[],
  rollup: Address,
  file: string,
): void {
  if (known.length === 0) return;
  const n = known.length;
  throw new ChainRefusalError(
    "ALREADY_KNOWN_TO_ROLLUP",
    `${n} attester${n === 1 ? "" : "s"} already known to Aztec's rollup ${rollup}: ` +
      `${known.map(describeRollupKnown).join(", ")}; these keys were registered before, generate new ones`,
    { file },
  );
}
