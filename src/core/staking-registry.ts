import { BaseError, RpcRequestError, encodeFunctionData, getAddress, zeroAddress, type Address, type Hex } from "viem";
import { defaultStakingRegistryByChainId, stakingRegistryAbi } from "../types/staking-registry-abi.js";
import { checkExpectedChainId, onChain, toChainError, type ChainClient } from "./chain-client.js";
import type { ButlerConfig } from "./config.js";
import { ChainRefusalError, ConfigError } from "./errors.js";

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
 * - ETHEREUM_CHAIN_ID, when set, must equal the node's chain id;
 * - the registry (STAKING_REGISTRY_ADDRESS, else the chain's default) must have code;
 * - the provider is AZTEC_STAKING_PROVIDER_ID, or the one whose admin is
 *   AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS (both set: they must agree).
 */
export async function resolveRegistryContext(
  chain: ChainClient,
  config: ButlerConfig,
): Promise<RegistryContext> {
  const { client } = chain;
  const configuredRegistry = config.optional("STAKING_REGISTRY_ADDRESS");
  const configuredId = config.optional("AZTEC_STAKING_PROVIDER_ID");
  const configuredAdmin = config.optional("AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS");
  if (configuredId === undefined && configuredAdmin === undefined) {
    throw new ConfigError(
      "neither AZTEC_STAKING_PROVIDER_ID nor AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS is set; " +
        "set one to say which staking provider's queue to use",
    );
  }

  // getCode and nextProviderIdentifier go out together; the latter fails on an address without
  // code, so it is settled separately and only re-raised once the code check has spoken.
  const readRegistryBasics = (registry: Address) =>
    Promise.all([
      client.getCode({ address: registry }),
      client
        .readContract({ address: registry, abi: stakingRegistryAbi, functionName: "nextProviderIdentifier" })
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    ]);

  // Round 1: the chain id, plus the registry basics when the registry address is configured.
  const [chainId, earlyBasics] = await onChain(chain, "checking the chain", () =>
    Promise.all([
      client.getChainId(),
      configuredRegistry ? readRegistryBasics(getAddress(configuredRegistry)) : undefined,
    ]),
  );
  checkExpectedChainId(chain, config, chainId);

  const registry = configuredRegistry ? getAddress(configuredRegistry) : defaultStakingRegistryByChainId[chainId];
  if (!registry) {
    throw new ConfigError(
      `STAKING_REGISTRY_ADDRESS is not set and chain ${chainId} has no default registry ` +
        "(defaults exist for 1 and 11155111)",
    );
  }
  const registrySource = configuredRegistry
    ? `STAKING_REGISTRY_ADDRESS (from ${config.sourceOf("STAKING_REGISTRY_ADDRESS")})`
    : `the default registry of chain ${chainId}`;

  // Round 2, only when the registry address came from the chain's default.
  const [code, next] =
    earlyBasics ?? (await onChain(chain, "reading the staking registry", () => readRegistryBasics(registry)));
  if (!code || code === "0x") {
    throw new ConfigError(
      `${registrySource} is ${registry}, which has no contract code on chain ${chainId}; wrong address or wrong chain?`,
    );
  }
  if (next instanceof Error) throw toChainError(chain, "reading the staking registry", next);
  const nextProviderId = next;

  const provider = await resolveProvider(chain, registry, nextProviderId, configuredId, configuredAdmin);
  return { chainId, registry, ...provider };
}

async function resolveProvider(
  chain: ChainClient,
  registry: Address,
  nextProviderId: bigint,
  configuredId: bigint | undefined,
  configuredAdmin: string | undefined,
): Promise<{ providerId: bigint; providerAdmin: Address }> {
  const { client } = chain;
  const readAdmin = (id: bigint) =>
    client
      .readContract({ address: registry, abi: stakingRegistryAbi, functionName: "providerConfigurations", args: [id] })
      .then(([admin]) => admin);

  if (configuredId !== undefined) {
    const admin =
      configuredId < nextProviderId ? await onChain(chain, "reading the staking provider", () => readAdmin(configuredId)) : zeroAddress;
    if (admin === zeroAddress) {
      throw new ConfigError(
        `AZTEC_STAKING_PROVIDER_ID ${configuredId} is not a provider in registry ${registry} ` +
          `(${nextProviderId} provider ids assigned)`,
      );
    }
    if (configuredAdmin !== undefined && getAddress(configuredAdmin) !== getAddress(admin)) {
      throw new ConfigError(
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
      `no provider in registry ${registry} has admin AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS ${wanted} ` +
        `(searched ${ids.length} provider ids)`,
    );
  }
  if (matches.length > 1) {
    throw new ConfigError(
      `admin ${wanted} administers providers ${matches.join(", ")}; set AZTEC_STAKING_PROVIDER_ID to choose one`,
    );
  }
  return { providerId: matches[0]!, providerAdmin: wanted };
}

export interface ProviderQueue {
  /** Attester addresses in queue order, lowercase (compare with findQueuedAttesters). */
  attesters: Address[];
  /** HTTP-level batching means this many calls went out in ceil(calls / batchSize) requests. */
  calls: number;
}

/**
 * Reads a provider's whole queue: its bounds in one round, then every entry in batches of
 * RPC_BATCH_SIZE calls per HTTP request (never one awaited request per entry).
 *
 * The entries are plain eth_calls rather than readContract: with thousands of entries, viem's
 * per-call ABI encoding (a keccak of the signature each time) and full struct decoding cost more
 * CPU than the node's answers. The calldata differs only in the index, and the attester is the
 * first word of the static KeyStore tuple, so both are done by hand and checked for shape. The
 * attesters come back lowercase; only the ones reported to the operator need checksumming.
 */
export async function readProviderQueue(chain: ChainClient, context: RegistryContext): Promise<ProviderQueue> {
  const { client } = chain;
  const { registry, providerId } = context;
  const readBound = (functionName: "getFirstIndexInQueue" | "getLastIndexInQueue" | "getProviderQueueLength") =>
    client.readContract({ address: registry, abi: stakingRegistryAbi, functionName, args: [providerId] }) as Promise<bigint>;

  return onChain(chain, `reading provider ${providerId}'s queue`, async () => {
    const [first, last, length] = await Promise.all([
      readBound("getFirstIndexInQueue"),
      readBound("getLastIndexInQueue"),
      readBound("getProviderQueueLength"),
    ]);
    if (last < first || last - first !== length) {
      throw new ChainRefusalError(
        `registry ${registry} reports queue bounds ${first}..${last} but length ${length} for provider ` +
          `${providerId}; this tool does not understand that registry`,
      );
    }
    // selector + providerId (the first 4 + 32 bytes), then the index as the second word.
    const prefix = encodeFunctionData({
      abi: stakingRegistryAbi,
      functionName: "getValueAtIndexInQueue",
      args: [providerId, 0n],
    }).slice(0, 2 + 8 + 64);
    const readEntry = (index: bigint) =>
      client
        .request({
          method: "eth_call",
          params: [{ to: registry, data: `${prefix}${index.toString(16).padStart(64, "0")}` as Hex }, "latest"],
        })
        .then(
          (answer) => attesterOfKeyStore(answer, registry, providerId, index),
          (error: unknown) => {
            throw asRevertRefusal(error, `reading provider ${providerId}'s queue`) ?? error;
          },
        );
    const indices = Array.from({ length: Number(length) }, (_, i) => first + BigInt(i));
    const attesters = await Promise.all(indices.map(readEntry));
    return { attesters, calls: 3 + indices.length };
  });
}

/**
 * KeyStore is a static tuple of 9 words (attester, G1, G2, proof of possession); word 0 holds the
 * attester, zero-padded. Trailing words are tolerated, as viem's decoder would.
 */
const KEY_STORE_ANSWER = /^0x0{24}([0-9a-fA-F]{40})(?:[0-9a-fA-F]{64}){8,}$/;

function attesterOfKeyStore(answer: unknown, registry: Address, providerId: bigint, index: bigint): Address {
  const match = typeof answer === "string" ? KEY_STORE_ANSWER.exec(answer) : null;
  if (!match) {
    throw new ChainRefusalError(
      `registry ${registry} answered getValueAtIndexInQueue(${providerId}, ${index}) with something that is ` +
        "not a KeyStore; this tool does not understand that registry",
    );
  }
  // Lowercase, not checksummed: a keccak per entry is a measurable share of a 10,000-entry read.
  return `0x${match[1]!.toLowerCase()}`;
}

/** A reverted eth_call (JSON-RPC error 3, or a message saying so) as the refusal readContract would give. */
function asRevertRefusal(error: unknown, what: string): ChainRefusalError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  if (!rpc || (rpc.code !== 3 && !/revert/i.test(rpc.details))) return undefined;
  return new ChainRefusalError(`${what}: the contract call reverted (${rpc.details || rpc.shortMessage})`);
}

/** The given attesters that are already in the queue, compared case-insensitively. */
export function findQueuedAttesters(queue: readonly string[], attesters: readonly string[]): string[] {
  const queued = new Set(queue.map((a) => a.toLowerCase()));
  return attesters.filter((a) => queued.has(a.toLowerCase()));
}
