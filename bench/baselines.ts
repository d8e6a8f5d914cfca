/**
 * The straightforward way to do each piece of work, measured in the same run against the same
 * chain and proxy as the tool:
 * - the queue check: a viem public client WITHOUT batching, one awaited readContract per entry;
 * - key derivation: one key at a time on the main thread (viem privateKeyToAddress and
 *   computeBn254G1PublicKeyCompressed from @aztec/foundation, the libraries the tool used when
 *   issue 20 set its target on this baseline); and (b′) the same with the tool's own eth
 *   derivation (deriveEthAddresses: libsecp256k1, then viem), 2.3 times as fast a key, which
 *   says what the machine needs for the work the tool does;
 * - the funding check: one awaited getBalance per publisher.
 * Also the tool's own chain reads called in-process (same proxy), so each component can be
 * compared on its own.
 */
import { performance } from "node:perf_hooks";
import { createPublicClient, getAddress, http, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";

import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";

export interface Measured<T> {
  wallMs: number;
  value: T;
}

export async function timed<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const started = performance.now();
  const value = await work();
  return { wallMs: performance.now() - started, value };
}

/** A plain viem client: no batching, no retries; every call is its own HTTP request. */
function unbatchedClient(rpcUrl: string) {
  return createPublicClient({ transport: http(rpcUrl, { batch: false, retryCount: 0 }) });
}

/** (a) The provider's queue the straightforward way: the bounds, then one awaited eth_call per entry. */
export async function baselineQueueRead(
  rpcUrl: string,
  registry: Address,
  providerId: bigint,
): Promise<Address[]> {
  const client = unbatchedClient(rpcUrl);
  const read = (functionName: "getFirstIndexInQueue" | "getLastIndexInQueue") =>
    client.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName,
      args: [providerId],
    });
  const first = await read("getFirstIndexInQueue");
  const last = await read("getLastIndexInQueue");
  const attesters: Address[] = [];
  for (let index = first; index < last; index++) {
    const entry = await client.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "getValueAtIndexInQueue",
      args: [providerId, index],
    });
    attesters.push(entry.attester);
  }
  return attesters;
}

/** (b) Public keys derived one at a time on the main thread. */
export async function baselineDerive(
  keys: readonly { eth: Hex; bls: Hex }[],
): Promise<{ eth: Address; bls: Hex }[]> {
  const { computeBn254G1PublicKeyCompressed } = await import("@aztec/foundation/crypto/bn254");
  const out: { eth: Address; bls: Hex }[] = [];
  for (const key of keys) {
    out.push({
      eth: privateKeyToAddress(key.eth),
      bls: (await computeBn254G1PublicKeyCompressed(key.bls)) as Hex,
    });
  }
  return out;
}

/** (b′) As (b), with the tool's own eth derivation (libsecp256k1, then viem's publicKeyToAddress). */
export async function baselineDeriveWithToolsEthDerivation(
  keys: readonly { eth: Hex; bls: Hex }[],
): Promise<{ eth: Address; bls: Hex }[]> {
  const [{ computeBn254G1PublicKeyCompressed }, { deriveEthAddresses }] = await Promise.all([
    import("@aztec/foundation/crypto/bn254"),
    import("../src/core/keys/derive-keys.js"),
  ]);
  const out: { eth: Address; bls: Hex }[] = [];
  for (const key of keys) {
    const [eth] = await deriveEthAddresses([key.eth]);
    out.push({ eth: eth!, bls: (await computeBn254G1PublicKeyCompressed(key.bls)) as Hex });
  }
  return out;
}

/** (c) Every publisher's balance, one awaited getBalance each (plus the chain id, as the tool reads it). */
export async function baselineBalances(
  rpcUrl: string,
  publishers: readonly string[],
): Promise<bigint[]> {
  const client = unbatchedClient(rpcUrl);
  await client.getChainId();
  const balances: bigint[] = [];
  for (const address of publishers)
    balances.push(await client.getBalance({ address: getAddress(address) }));
  return balances;
}

/** The tool's chain client and reads, configured as the CLI would be from this environment. */
export async function toolChainReads(env: Record<string, string>) {
  const [{ loadConfig }, { createChainClient }, { readProviderQueue }, { readChainIdAndBalances }] =
    await Promise.all([
      import("../src/core/config.js"),
      import("../src/core/chain/client.js"),
      import("../src/core/chain/staking-registry.js"),
      import("../src/core/chain/funding.js"),
    ]);
  const config = await loadConfig({ env, cwd: env.HOME });
  const chain = createChainClient(config);
  return {
    readQueue: (registry: Address, providerId: bigint, providerAdmin: Address) =>
      readProviderQueue(chain, { registry: { chainId: 0, registry, providerId, providerAdmin } }),
    readBalances: (publishers: readonly string[]) => readChainIdAndBalances(chain, { publishers }),
  };
}
