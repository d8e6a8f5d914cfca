import {
  BaseError,
  RpcRequestError,
  concatHex,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { providerQueueReaderBytecode } from "./provider-queue-reader-code.js";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import {
  blockTag,
  onChain,
  readContractExactly,
  refuseUnexpectedChainId,
  settled,
  toChainError,
  unlessRefused,
  type AtBlock,
  type ChainClient,
} from "./client.js";
import { splitIntoChunks } from "../plan/chunks.js";
import { defaultStakingRegistryOf, type ButlerConfig } from "../config.js";
import { ChainRefusalError, ConfigError } from "../errors.js";

/** The L1 context every chain-touching command establishes first. */
export interface RegistryContext {
  chainId: number;
  registry: Address;
  providerId: bigint;
  providerAdmin: Address;
}

/**
 * Establishes which chain, registry and provider the command works against, in as few HTTP
 * requests as the inputs allow (batched: chain id, registry code and the provider count go
 * together when the registry address is configured):
 * - the node's chain id must be ETHEREUM_CHAIN_ID, else the network preset's (refuseUnexpectedChainId);
 * - the registry (STAKING_REGISTRY_ADDRESS, else Aztec's documented one of the chain) must have code;
 * - the provider is AZTEC_STAKING_PROVIDER_ID, or the one whose admin is
 *   AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS (both set: they must agree).
 */
export async function resolveRegistryContext(
  chain: ChainClient,
  { config, blockNumber }: { config: ButlerConfig } & AtBlock,
): Promise<RegistryContext> {
  const { client } = chain;
  const configuredRegistry = config.optional("STAKING_REGISTRY_ADDRESS");
  const providerSettings = stakingProviderSettings(config);
  const { id: configuredId, admin: configuredAdmin } = providerSettings;
  if (!isProviderConfigured(providerSettings)) {
    throw new ConfigError(
      "NO_PROVIDER_CONFIGURED",
      "neither AZTEC_STAKING_PROVIDER_ID nor AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS is set; " +
        "set one to say which staking provider's queue to use",
    );
  }

  // getCode and nextProviderIdentifier go out together; the latter fails on an address without
  // code, so it is settled separately and only re-raised once the code check has spoken.
  const readRegistryBasics = (registry: Address) =>
    Promise.all([
      client.getCode({ address: registry, blockNumber }),
      settled(
        readContractExactly(chain, {
          address: registry,
          abi: stakingRegistryAbi,
          functionName: "nextProviderIdentifier",
          blockNumber,
        }),
      ),
    ]);

  // Round 1: the chain id, plus the registry basics when the registry address is configured.
  const [chainId, earlyBasics] = await onChain(chain, "checking the chain", () =>
    Promise.all([
      client.getChainId(),
      configuredRegistry ? readRegistryBasics(getAddress(configuredRegistry)) : undefined,
    ]),
  );
  refuseUnexpectedChainId(chain, config, chainId);

  const registry = configuredRegistry
    ? getAddress(configuredRegistry)
    : defaultStakingRegistryOf(chainId);
  if (!registry) {
    throw new ConfigError(
      "NO_DEFAULT_REGISTRY",
      `STAKING_REGISTRY_ADDRESS is not set and chain ${chainId} has no documented StakingRegistry ` +
        "(mainnet 1 and testnet 11155111 have one)",
    );
  }
  const registrySource = configuredRegistry
    ? `STAKING_REGISTRY_ADDRESS (from ${config.sourceOf("STAKING_REGISTRY_ADDRESS")})`
    : `Aztec's documented StakingRegistry of chain ${chainId}`;

  // Round 2, only when the registry address came from the chain's default.
  const [code, next] =
    earlyBasics ??
    (await onChain(chain, "reading the staking registry", () => readRegistryBasics(registry)));
  if (!code || code === "0x") {
    throw new ConfigError(
      "NO_CONTRACT_CODE",
      `${registrySource} is ${registry}, which has no contract code on chain ${chainId}; wrong address or wrong chain?`,
    );
  }
  if (next instanceof Error) throw toChainError(chain, "reading the staking registry", next);

  const provider = await resolveProvider(chain, {
    registry,
    nextProviderId: next,
    configuredId,
    configuredAdmin,
    blockNumber,
  });
  return { chainId, registry, ...provider };
}

/**
 * The provider the configuration names: AZTEC_STAKING_PROVIDER_ID (its admin read, and checked
 * against AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS when that is set too), else the one provider whose
 * admin is AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS (every id below `nextProviderId` read in one
 * batched round).
 */
export async function resolveProvider(
  chain: ChainClient,
  parameters: {
    registry: Address;
    nextProviderId: bigint;
    configuredId: bigint | undefined;
    configuredAdmin: string | undefined;
  } & AtBlock,
): Promise<{ providerId: bigint; providerAdmin: Address }> {
  const { registry, nextProviderId, configuredId, configuredAdmin, blockNumber } = parameters;
  const readAdmin = (id: bigint) =>
    readContractExactly(chain, {
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "providerConfigurations",
      args: [id],
      blockNumber,
    }).then(([admin]) => admin);

  if (configuredId !== undefined) {
    const admin =
      configuredId < nextProviderId
        ? await onChain(chain, "reading the staking provider", () => readAdmin(configuredId))
        : zeroAddress;
    if (admin === zeroAddress) {
      throw new ConfigError(
        "UNKNOWN_PROVIDER",
        `AZTEC_STAKING_PROVIDER_ID ${configuredId} is not a provider in registry ${registry} ` +
          `(its nextProviderIdentifier() is ${nextProviderId})`,
      );
    }
    if (configuredAdmin !== undefined && getAddress(configuredAdmin) !== getAddress(admin)) {
      throw new ConfigError(
        "PROVIDER_ADMIN_MISMATCH",
        `AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS is ${getAddress(configuredAdmin)} but provider ${configuredId}'s ` +
          `admin is ${getAddress(admin)}; fix one of them`,
      );
    }
    return { providerId: configuredId, providerAdmin: getAddress(admin) };
  }

  // Search by admin: every provider id below nextProviderIdentifier(), read in one batched round.
  const wanted = getAddress(configuredAdmin!);
  const ids = Array.from({ length: Number(nextProviderId) }, (_, i) => BigInt(i));
  const admins = await onChain(chain, "searching the providers for the admin address", () =>
    Promise.all(ids.map(readAdmin)),
  );
  const matches = ids.filter((_, i) => getAddress(admins[i]!) === wanted);
  if (matches.length === 0) {
    throw new ConfigError(
      "UNKNOWN_PROVIDER",
      `no provider in registry ${registry} has admin AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS ${wanted} ` +
        `(searched ${ids.length} provider ids)`,
    );
  }
  if (matches.length > 1) {
    throw new ConfigError(
      "AMBIGUOUS_PROVIDER",
      `admin ${wanted} administers providers ${matches.join(", ")}; set AZTEC_STAKING_PROVIDER_ID to choose one`,
    );
  }
  return { providerId: matches[0]!, providerAdmin: wanted };
}

export interface ProviderQueue {
  /** The registry's index of the head (getFirstIndexInQueue): entry i is at firstIndex + i. */
  firstIndex: bigint;
  /** Attester addresses in queue order, lowercase (compare with findQueuedAttesters, plan/registered-attesters.ts). */
  attesters: Address[];
  /** JSON-RPC calls made; the transport sends them RPC_BATCH_SIZE per HTTP request. */
  calls: number;
}

/**
 * Queue entries per deployless read. Each costs about 29k gas (the registry's 9 storage reads
 * and 32 bytes of returned code), so 250 stay near 7M gas, far below the eth_call gas caps nodes
 * apply, and 8,000 bytes of result, far below the 24,576-byte code size limit.
 */
export const QUEUE_ENTRIES_PER_READ = 250;

/**
 * Reads a provider's whole queue: its bounds in one round, then every entry in one more.
 *
 * The entries are read "deployless": an eth_call without `to` whose data is the creation code of
 * contracts/ProviderQueueReader.sol, whose constructor calls getValueAtIndexInQueue for a slice
 * of QUEUE_ENTRIES_PER_READ indices and returns the attesters. 10,000 entries are 40 calls in
 * one HTTP request, instead of 10,000 calls the node executes and answers one by one (and that
 * public endpoints bill and throttle one by one). A node that refuses such a call (a gas cap
 * below a read, say) gets one eth_call per entry instead, still batched RPC_BATCH_SIZE per HTTP
 * request: never one awaited request per entry.
 */
export async function readProviderQueue(
  chain: ChainClient,
  { registry: context, blockNumber }: { registry: RegistryContext } & AtBlock,
): Promise<ProviderQueue> {
  const { registry, providerId } = context;
  const readBound = (
    functionName: "getFirstIndexInQueue" | "getLastIndexInQueue" | "getProviderQueueLength",
  ) =>
    readContractExactly(chain, {
      address: registry,
      abi: stakingRegistryAbi,
      functionName,
      args: [providerId],
      blockNumber,
    });

  return onChain(chain, `reading provider ${providerId}'s queue`, async () => {
    const [first, last, length] = await Promise.all([
      readBound("getFirstIndexInQueue"),
      readBound("getLastIndexInQueue"),
      readBound("getProviderQueueLength"),
    ]);
    if (last < first || last - first !== length) {
      throw new ChainRefusalError(
        "REGISTRY_NOT_UNDERSTOOD",
        `registry ${registry} reports queue bounds ${first}..${last} but length ${length} for provider ` +
          `${providerId}; this tool does not understand that registry`,
      );
    }
    if (length === 0n) return { firstIndex: first, attesters: [], calls: 3 };
    const indices = Array.from({ length: Number(length) }, (_, i) => first + BigInt(i));
    const slices = splitIntoChunks(indices, QUEUE_ENTRIES_PER_READ);
    const deployless = await readQueueSlicesDeployless(chain, context, slices, blockNumber);
    if (deployless) return { firstIndex: first, attesters: deployless, calls: 3 + slices.length };
    const attesters = await readQueueEntriesOneCallEach(chain, context, indices, blockNumber);
    return { firstIndex: first, attesters, calls: 3 + slices.length + indices.length };
  });
}

/**
 * The attester as registries return it: an address left-padded to a 32-byte word (the first word
 * of a KeyStore, and each word of ProviderQueueReader's answer). Lowercase, not checksummed: a
 * keccak per entry is a measurable share of a 10,000-entry read.
 */
const ATTESTER_WORD = "0{24}([0-9a-fA-F]{40})";
const attesterOf = (match: RegExpExecArray): Address => `0x${match[1]!.toLowerCase()}`;
const QUEUE_READER_WORD = new RegExp(`^${ATTESTER_WORD}$`);

/**
 * Every slice through ProviderQueueReader, all calls together. Undefined when the node refused
 * any of them or answered something else than one attester word per entry: the caller then reads
 * entry by entry, which reports a broken registry precisely. Transport failures are thrown.
 */
async function readQueueSlicesDeployless(
  chain: ChainClient,
  { registry, providerId }: RegistryContext,
  slices: readonly (readonly bigint[])[],
  blockNumber: bigint | undefined,
): Promise<Address[] | undefined> {
  const answers = await Promise.all(
    slices.map((slice) =>
      unlessRefused(
        chain.client.request({
          method: "eth_call",
          params: [
            {
              data: concatHex([
                providerQueueReaderBytecode,
                encodeAbiParameters(queueReaderConstructorInputs, [
                  registry,
                  providerId,
                  slice[0]!,
                  BigInt(slice.length),
                ]),
              ]),
            },
            blockTag(blockNumber),
          ],
        }),
      ),
    ),
  );
  const attesters: Address[] = [];
  for (const [i, answer] of answers.entries()) {
    const words = typeof answer === "string" ? answer.slice(2) : "";
    if (words.length !== slices[i]!.length * 64) return undefined;
    for (let at = 0; at < words.length; at += 64) {
      const match = QUEUE_READER_WORD.exec(words.slice(at, at + 64));
      if (!match) return undefined;
      attesters.push(attesterOf(match));
    }
  }
  return attesters;
}

const queueReaderConstructorInputs = [
  { type: "address" },
  { type: "uint256" },
  { type: "uint256" },
  { type: "uint256" },
] as const;

/**
 * The fallback: one eth_call of getValueAtIndexInQueue per entry, sent RPC_BATCH_SIZE per HTTP
 * request. Plain eth_calls rather than readContract: with thousands of entries, viem's per-call
 * ABI encoding and full struct decoding cost more CPU than the node's answers. The calldata
 * differs only in the index, and the attester is the first word of the static KeyStore tuple, so
 * both are done by hand and checked for shape.
 */
async function readQueueEntriesOneCallEach(
  chain: ChainClient,
  { registry, providerId }: RegistryContext,
  indices: readonly bigint[],
  blockNumber: bigint | undefined,
): Promise<Address[]> {
  // selector + providerId (the first 4 + 32 bytes), then the index as the second word.
  const prefix = encodeFunctionData({
    abi: stakingRegistryAbi,
    functionName: "getValueAtIndexInQueue",
    args: [providerId, 0n],
  }).slice(0, 2 + 8 + 64);
  const readEntry = (index: bigint) =>
    chain.client
      .request({
        method: "eth_call",
        params: [
          { to: registry, data: `${prefix}${index.toString(16).padStart(64, "0")}` as Hex },
          blockTag(blockNumber),
        ],
      })
      .then(
        (answer) => attesterOfTuple(answer, registry, providerId, index),
        (error: unknown) => {
          throw asRevertRefusal(error, `reading provider ${providerId}'s queue`) ?? error;
        },
      );
  return Promise.all(indices.map(readEntry));
}

/**
 * A registration tuple (Solidity's KeyStore) is a static tuple of 9 words (attester, G1, G2, proof
 * of possession); word 0 holds the attester. Exactly 9: an answer of another length is another
 * call's (readContractExactly's rule).
 */
const TUPLE_ANSWER = new RegExp(`^0x${ATTESTER_WORD}(?:[0-9a-fA-F]{64}){8}$`);

function attesterOfTuple(
  answer: unknown,
  registry: Address,
  providerId: bigint,
  index: bigint,
): Address {
  const match = typeof answer === "string" ? TUPLE_ANSWER.exec(answer) : null;
  if (!match) {
    throw new ChainRefusalError(
      "REGISTRY_NOT_UNDERSTOOD",
      `registry ${registry} answered getValueAtIndexInQueue(${providerId}, ${index}) with something that is ` +
        "not a KeyStore; this tool does not understand that registry",
    );
  }
  return attesterOf(match);
}

/** A reverted eth_call (JSON-RPC error 3, or a message saying so) as the refusal readContract would give. */
function asRevertRefusal(error: unknown, what: string): ChainRefusalError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  if (!rpc || (rpc.code !== 3 && !/revert/i.test(rpc.details))) return undefined;
  return new ChainRefusalError(
    "CALL_REVERTED",
    `${what}: the contract call reverted (${rpc.details || rpc.shortMessage})`,
    {},
    { cause: error },
  );
}

/** Which staking provider the configuration names: its id, its admin's address, or both. */
export interface StakingProviderSettings {
  id: bigint | undefined;
  admin: string | undefined;
}

export function stakingProviderSettings(config: ButlerConfig): StakingProviderSettings {
  return {
    id: config.optional("AZTEC_STAKING_PROVIDER_ID"),
    admin: config.optional("AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS"),
  };
}

/** Whether a provider is named at all (resolveRegistryContext refuses to start otherwise). */
export function isProviderConfigured({ id, admin }: StakingProviderSettings): boolean {
  return id !== undefined || admin !== undefined;
}
