/**
 * What a staking provider's queue holds, for its health (core/plan/provider-queue-health.ts):
 * what the rollup knows of each entry's attester, and the GSE's check of each remaining entry's
 * keys, all at the caller's pinned block.
 *
 * The keys are checked inside the node: contracts/KeyStoreChecker.sol, run deployless, reads
 * KEY_STORES_PER_CHECK entries from the registry and their digests from the GSE and checks them
 * all with one batched pairing (EIP-197's precompile), so 5,000 entries are 79 eth_calls in one
 * HTTP request and a few seconds of the node's time. In this process, the same check costs two
 * pairings of @noble/curves per key, some 25 ms each on a busy core (two minutes for 5,000): it is
 * the fallback for a node that refuses deployless calls, its reads batched.
 */
import { randomBytes } from "node:crypto";
import { concatHex, encodeAbiParameters, getAddress, toHex } from "viem";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import {
  checkRegistrationTuple,
  type RegistrationTupleCheck,
} from "../keys/registration-tuple-check.js";
import type { RollupStatus } from "../plan/lifecycle.js";
import {
  keyCheckPositions,
  type CheckedProviderQueueFacts,
} from "../plan/provider-queue-health.js";
import {
  blockTag,
  MalformedAnswerError,
  onChain,
  readContractExactly,
  unlessRefused,
  type ChainClient,
} from "./client.js";
import { splitIntoChunks } from "../plan/chunks.js";
import { readRegistrationDigests } from "./gse.js";
import { keyStoreCheckerBytecode } from "./key-store-checker-code.js";
import type { ButlerConfig } from "../config.js";
import { readAttesterStatuses, readEntryQueue, resolveAztecL1, type AztecL1 } from "./rollup.js";
import { readProviderQueue, type ProviderQueue, type RegistryContext } from "./staking-registry.js";

/**
 * Entries per KeyStoreChecker call: about 120,000 gas each when sound (the registry's and the
 * GSE's reads, four G1 multiplications by 64-bit weights, one pair of the batched pairing: 7.7M
 * for 64 on anvil), some 360,000 when the batch fails and each is checked alone (23M for 64):
 * within the eth_call gas caps nodes apply (50M by default in geth).
 */
export const TUPLES_PER_CHECK = 64;

/**
 * HTTP requests the key checks are spread over, sent together: a node answers the calls of one
 * batch one after the other, but several requests at once on several cores (anvil: 1,000 entries
 * in 1.3 s as two requests, 1.8 s as one, on two busy cores).
 */
export const KEY_CHECK_REQUESTS = 4;

const CHECK_RESULTS: readonly RegistrationTupleCheck[] = [
  "SOUND",
  "INVALID_KEYS",
  "INVALID_PROOF_OF_POSSESSION",
];

export interface ProviderQueueHealthFacts extends CheckedProviderQueueFacts {
  /** JSON-RPC calls made (the transport sends them RPC_BATCH_SIZE per HTTP request). */
  calls: number;
  /** The keys were checked in this process (the node refused the deployless check). */
  checkedInProcess: boolean;
}

/**
 * Everything classifyProviderQueue needs about `queue`: getStatus of every attester not already
 * in `knownStatuses` (lowercase keys; status read them for its key files), then the GSE's check
 * of the entries that have no problem without it. Two rounds, each batched.
 */
export async function readProviderQueueHealth(
  chain: ChainClient,
  input: {
    registry: RegistryContext;
    aztec: Pick<AztecL1, "rollup" | "gse" | "gseDescribed">;
    queue: Pick<ProviderQueue, "firstIndex" | "attesters">;
    /** The rollup's entry queue, in any case. */
    entryQueue: readonly string[];
    knownStatuses?: ReadonlyMap<string, RollupStatus>;
    blockNumber: bigint;
    /** Told, before it starts, that the node refused the check and this process makes it. */
    onInProcess?: (tuples: number) => void;
  },
): Promise<ProviderQueueHealthFacts> {
  const { queue, aztec, blockNumber } = input;
  const known = new Map(input.knownStatuses ?? []);
  const unknown = [...new Set(queue.attesters.map((a) => a.toLowerCase()))].filter(
    (a) => !known.has(a),
  );
  const read = await readAttesterStatuses(chain, {
    rollup: aztec.rollup,
    attesters: unknown.map((a) => getAddress(a)),
    blockNumber,
  });
  unknown.forEach((a, i) => known.set(a, read.statuses[i]!));
  const facts = {
    firstIndex: queue.firstIndex,
    attesters: queue.attesters,
    rollupStatuses: known,
    entryQueue: new Set(input.entryQueue.map((a) => a.toLowerCase())),
  };
  const checked = await checkQueuedRegistrationTuples(chain, {
    registry: input.registry,
    gse: aztec,
    queue,
    positions: keyCheckPositions(facts),
    blockNumber,
    onInProcess: input.onInProcess,
  });
  return {
    ...facts,
    keyChecks: checked.checks,
    calls: read.calls + checked.calls,
    checkedInProcess: checked.inProcess,
  };
}

/**
 * The GSE's check of the registration tuples at `positions` of the queue (zero-based from its head):
 * in the node (KeyStoreChecker), else, when the node refuses that, in this process.
 */
export async function checkQueuedRegistrationTuples(
  chain: ChainClient,
  input: {
    registry: RegistryContext;
    gse: Pick<AztecL1, "gse" | "gseDescribed">;
    queue: Pick<ProviderQueue, "firstIndex" | "attesters">;
    positions: readonly number[];
    blockNumber: bigint;
    onInProcess?: (tuples: number) => void;
  },
): Promise<{ checks: Map<number, RegistrationTupleCheck>; calls: number; inProcess: boolean }> {
  const { positions } = input;
  if (positions.length === 0) return { checks: new Map(), calls: 0, inProcess: false };
  const slices = splitIntoChunks(positions, TUPLES_PER_CHECK);
  const inNode = await onChain(chain, "checking the provider queue's keys", () =>
    checkInNode(chain, input, slices),
  );
  if (inNode) return { checks: inNode, calls: slices.length, inProcess: false };
  input.onInProcess?.(positions.length);
  const inProcess = await checkInProcess(chain, input);
  return { checks: inProcess.checks, calls: slices.length + inProcess.calls, inProcess: true };
}

const checkerConstructorInputs = [
  { type: "address" },
  { type: "uint256" },
  { type: "address" },
  { type: "bytes32" },
  { type: "uint256[]" },
] as const;

/** Undefined when the node refused any of the calls; a malformed answer throws. */
async function checkInNode(
  chain: ChainClient,
  { registry, gse, queue, blockNumber }: Parameters<typeof checkQueuedRegistrationTuples>[1],
  slices: readonly number[][],
): Promise<Map<number, RegistrationTupleCheck> | undefined> {
  // Fresh weights for the batched pairing on every run: the queue's authors cannot know them.
  const seed = toHex(randomBytes(32));
  const checkSlice = (slice: readonly number[]) =>
    unlessRefused(
      chain.client.request({
        method: "eth_call",
        params: [
          {
            data: concatHex([
              keyStoreCheckerBytecode,
              encodeAbiParameters(checkerConstructorInputs, [
                registry.registry,
                registry.providerId,
                gse.gse,
                seed,
                slice.map((p) => queue.firstIndex + BigInt(p)),
              ]),
            ]),
          },
          blockTag(blockNumber),
        ],
      }),
    );
  const answers = await Promise.all(inSeparateRequests(slices, KEY_CHECK_REQUESTS, checkSlice));
  if (answers.some((a) => a === undefined)) return undefined;
  const checks = new Map<number, RegistrationTupleCheck>();
  answers.forEach((answer, s) => {
    const slice = slices[s]!;
    const hex = typeof answer === "string" ? answer.slice(2) : "";
    if (hex.length !== slice.length * 64) {
      throw new MalformedAnswerError(
        `answered the key check of ${slice.length} queue entries with ${hex.length / 2} bytes, not ${slice.length * 32}`,
      );
    }
    slice.forEach((position, i) => {
      const word = hex.slice(i * 64, i * 64 + 64);
      const result = CHECK_RESULTS[parseInt(word.slice(0, 2), 16)];
      const attester = `0x${word.slice(24)}`.toLowerCase();
      const expected = queue.attesters[position]!.toLowerCase();
      if (result === undefined || !/^0{22}$/.test(word.slice(2, 24)) || attester !== expected) {
        throw new MalformedAnswerError(
          `answered the key check of queue index ${queue.firstIndex + BigInt(position)} with 0x${word}, ` +
            `not a verdict for its attester ${getAddress(expected)}`,
        );
      }
      checks.set(position, result);
    });
  });
  return checks;
}

/**
 * `send` of every item, the items spread over `requests` groups of consecutive items, each group
 * sent in a macrotask of its own: the transport batches the calls made before its timer fires
 * (viem's batch scheduler, `wait: 0`), so each group goes out as one HTTP request, all together.
 */
function inSeparateRequests<T, R>(
  items: readonly T[],
  requests: number,
  send: (item: T) => Promise<R>,
): Promise<R>[] {
  const size = Math.ceil(items.length / Math.min(requests, items.length));
  return items.map(async (item, i) => {
    const group = Math.floor(i / size);
    for (let g = 0; g < group; g++) await new Promise((resolve) => setTimeout(resolve, 0));
    return send(item);
  });
}

/** Each registration tuple and its digest read (batched), then the GSE's check on the main thread. */
async function checkInProcess(
  chain: ChainClient,
  {
    registry,
    gse,
    queue,
    positions,
    blockNumber,
  }: Parameters<typeof checkQueuedRegistrationTuples>[1],
): Promise<{ checks: Map<number, RegistrationTupleCheck>; calls: number }> {
  const tuples = await onChain(chain, "reading the provider queue's key stores", () =>
    Promise.all(
      positions.map((position) =>
        readContractExactly(chain, {
          address: registry.registry,
          abi: stakingRegistryAbi,
          functionName: "getValueAtIndexInQueue",
          args: [registry.providerId, queue.firstIndex + BigInt(position)],
          blockNumber,
        }),
      ),
    ),
  );
  tuples.forEach((tuple, i) => {
    const expected = queue.attesters[positions[i]!]!;
    if (tuple.attester.toLowerCase() !== expected.toLowerCase()) {
      throw new MalformedAnswerError(
        `answered queue index ${queue.firstIndex + BigInt(positions[i]!)} with attester ${tuple.attester}, ` +
          `not the ${getAddress(expected)} it answered before`,
      );
    }
  });
  const digests = await readRegistrationDigests(chain, {
    gse: { address: gse.gse, described: gse.gseDescribed },
    chainId: registry.chainId,
    publicKeys: tuples.map((k) => k.publicKeyG1),
    blockNumber,
  });
  const checks = new Map<number, RegistrationTupleCheck>();
  positions.forEach((position, i) =>
    checks.set(position, checkRegistrationTuple(tuples[i]!, digests[i]!)),
  );
  return { checks, calls: positions.length * 2 + 1 };
}

/**
 * The provider queue's health on its own (drip-queue): Aztec's rollup and GSE, the queue and the
 * rollup's entry queue (one batched round), then readProviderQueueHealth.
 */
export async function readProviderQueueHealthAlone(
  chain: ChainClient,
  parameters: {
    config: ButlerConfig;
    registry: RegistryContext;
    blockNumber: bigint;
    onInProcess?: (tuples: number) => void;
  },
): Promise<{ facts: ProviderQueueHealthFacts; aztec: AztecL1; calls: number }> {
  const { config, registry, blockNumber, onInProcess } = parameters;
  const aztec = await resolveAztecL1(chain, { config, registry, blockNumber });
  const [queue, entryQueue] = await Promise.all([
    readProviderQueue(chain, { registry, blockNumber }),
    readEntryQueue(chain, { rollup: aztec.rollup, blockNumber }),
  ]);
  const facts = await readProviderQueueHealth(chain, {
    registry,
    aztec,
    queue,
    entryQueue: entryQueue.attesters,
    blockNumber,
    onInProcess,
  });
  return { facts, aztec, calls: queue.calls + entryQueue.calls + facts.calls };
}
