/**
 * Reads of Aztec's rollup: where it is (found from the chain itself), its entry queue, and what it
 * knows about attesters. Every read is batched (the calls made together go out as one JSON-RPC
 * batch, RPC_BATCH_SIZE per HTTP request) and takes the block to read at, when the caller has one.
 */
import {
  concatHex,
  encodeAbiParameters,
  getAddress,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { attesterStatusReaderBytecode } from "./attester-status-reader-code.js";
import { ATTESTER_STATUS_NAMES, aztecRegistryAbi, aztecRollupAbi } from "../../types/abi/rollup.js";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import type { ButlerConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import {
  rollupKnownAttesters,
  type AttesterStatus,
  type RollupKnownAttester,
} from "../plan/registered-attesters.js";
import { splitIntoChunks } from "../plan/chunks.js";
import {
  blockTag,
  isTransportFailure,
  onChain,
  readContractExactly,
  settled,
  toChainError,
  unlessRefused,
  type AtBlock,
  type ChainClient,
} from "./client.js";
import { readViewsAggregated } from "./multicall.js";
import type { RegistryContext } from "./staking-registry.js";

/** Aztec's rollup and GSE as a command uses them, with how each was found (for messages). */
export interface AztecL1 {
  rollup: Address;
  gse: Address;
  /** "the canonical rollup of Aztec's Registry 0x… (the staking registry's ROLLUP_REGISTRY())". */
  rollupDescribed: string;
  gseDescribed: string;
}

/**
 * Aztec's rollup and GSE: the staking registry's ROLLUP_REGISTRY() → getCanonicalRollup() →
 * getGSE(). AZTEC_ROLLUP_ADDRESS and AZTEC_GSE_ADDRESS override the discovered ones; when both are
 * set, the rollup's getGSE() must be AZTEC_GSE_ADDRESS. Three rounds at most (each batched): the
 * Aztec Registry, its canonical rollup, the rollup's GSE and code.
 */
export async function resolveAztecL1(
  chain: ChainClient,
  parameters: {
    config: ButlerConfig;
    /** The staking registry (its ROLLUP_REGISTRY() leads to Aztec's Registry) and its chain. */
    registry: Pick<RegistryContext, "registry" | "chainId">;
  } & AtBlock,
): Promise<AztecL1> {
  const what = "finding Aztec's rollup and GSE";
  const { client } = chain;
  const { config, blockNumber } = parameters;
  const { registry: stakingRegistry, chainId } = parameters.registry;
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
      settled(
        readContractExactly(chain, {
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
      settled(
        readContractExactly(chain, {
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
      settled(
        readContractExactly(chain, {
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
  { rollup, blockNumber }: { rollup: Address } & AtBlock,
): Promise<EntryQueue> {
  return onChain(chain, "reading the rollup's entry queue", async () => {
    const length = await readContractExactly(chain, {
      address: rollup,
      abi: aztecRollupAbi,
      functionName: "getEntryQueueLength",
      blockNumber,
    });
    // Aggregated (multicall.ts): 2,000 entries are 50 eth_calls, not 2,000.
    const entries = await readViewsAggregated(chain, {
      address: rollup,
      abi: aztecRollupAbi,
      functionName: "getEntryQueueAt",
      argsOfEach: Array.from({ length: Number(length) }, (_, i) => [BigInt(i)] as const),
      blockNumber,
    });
    return { attesters: entries.map((e) => getAddress(e.attester)), calls: 1 + entries.length };
  });
}

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
  { rollup, attesters, blockNumber }: { rollup: Address; attesters: readonly Address[] } & AtBlock,
): Promise<AttesterView[]> {
  const views = (await onChain(chain, "reading attesters from the rollup", () =>
    // Aggregated (multicall.ts): 10,000 attesters are 250 eth_calls, not 10,000.
    readViewsAggregated(chain, {
      address: rollup,
      abi: aztecRollupAbi,
      functionName: "getAttesterView",
      argsOfEach: attesters.map((attester) => [attester] as const),
      blockNumber,
    }),
  )) satisfies {
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

/** Attesters per deployless status read: about 15k gas each, far below any node's eth_call cap. */
export const STATUSES_PER_READ = 500;

/**
 * The rollup's getStatus of each attester, in order: through AttesterStatusReader (one eth_call
 * per STATUSES_PER_READ attesters, all batched), else, when the node refuses those, getAttesterView
 * per attester (batched). Transport failures throw.
 */
export async function readAttesterStatuses(
  chain: ChainClient,
  { rollup, attesters, blockNumber }: { rollup: Address; attesters: readonly Address[] } & AtBlock,
): Promise<{ statuses: AttesterStatus[]; calls: number }> {
  if (attesters.length === 0) return { statuses: [], calls: 0 };
  const slices = splitIntoChunks(attesters, STATUSES_PER_READ);
  const what = "reading attesters' status from the rollup";
  const answers = await onChain(chain, what, () =>
    Promise.all(
      slices.map((slice) =>
        unlessRefused(
          chain.client.request({
            method: "eth_call",
            params: [
              {
                data: concatHex([
                  attesterStatusReaderBytecode,
                  // Lowercase: viem checks a mixed-case address's EIP-55 checksum (a keccak each,
                  // about 150 ms for 10,000, after the derivation); these are checked already.
                  encodeAbiParameters(
                    [{ type: "address" }, { type: "address[]" }],
                    [rollup, slice.map((a) => a.toLowerCase() as Address)],
                  ),
                ]),
              },
              blockTag(blockNumber),
            ],
          }),
        ),
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
    const views = await readAttesterViews(chain, { rollup, attesters, blockNumber });
    return { statuses: views.map((v) => v.status), calls: slices.length + views.length };
  }
}

/**
 * The attesters among `attesters` that the rollup already knows: its whole entry queue and every
 * attester's status, read together (batched) at one block.
 */
export async function findRollupKnownAttesters(
  chain: ChainClient,
  { rollup, attesters, blockNumber }: { rollup: Address; attesters: readonly Address[] } & AtBlock,
): Promise<{ known: RollupKnownAttester[]; calls: number }> {
  const [queue, read] = await Promise.all([
    readEntryQueue(chain, { rollup, blockNumber }),
    readAttesterStatuses(chain, { rollup, attesters, blockNumber }),
  ]);
  const views = read.statuses.map((status, i) => ({ attester: attesters[i]!, status }));
  return {
    known: rollupKnownAttesters(attesters, queue.attesters, views),
    calls: queue.calls + read.calls,
  };
}
