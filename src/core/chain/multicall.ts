/**
 * Many view calls in few eth_calls: Multicall3's aggregate3 run "deployless" (its creation code
 * as the eth_call's data, so no contract needs to exist on the chain), CALLS_PER_AGGREGATE calls
 * per eth_call, the eth_calls themselves batched by the transport. 10,000 getAttesterView are 250
 * eth_calls in one HTTP request instead of 10,000 calls in 20. A node that refuses the aggregate
 * (a gas cap below it, no deployless calls) gets the calls one by one, still batched.
 */
import { type Abi, type Address } from "viem";
import { isTransportFailure, type ChainClient } from "./client.js";

/**
 * Calls per aggregate. A deployless call's answer is returned by a constructor, so it counts as
 * created code and must stay under EIP-170's 24,576 bytes (and its data under EIP-3860's 49,152
 * bytes of init code): a getAttesterView answer is about 500 bytes in aggregate3's encoding, an
 * entry-queue entry about 450, so 40 stay near 20 KB. Gas is no concern (about 30k per view).
 */
export const CALLS_PER_AGGREGATE = 40;

export interface ViewCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

/** The results of `calls`, in order; a call that reverts throws as readContract would. */
export async function readViewsAggregated(
  chain: ChainClient,
  calls: readonly ViewCall[],
  at: { blockNumber?: bigint } = {},
): Promise<unknown[]> {
  const chunks: ViewCall[][] = [];
  for (let i = 0; i < calls.length; i += CALLS_PER_AGGREGATE)
    chunks.push(calls.slice(i, i + CALLS_PER_AGGREGATE));
  const one = (call: ViewCall) =>
    chain.client.readContract({ ...call, blockNumber: at.blockNumber } as Parameters<
      typeof chain.client.readContract
    >[0]);
  const results = await Promise.all(
    chunks.map(async (chunk) => {
      try {
        return await chain.client.multicall({
          contracts: chunk as Parameters<typeof chain.client.multicall>[0]["contracts"],
          deployless: true,
          allowFailure: false,
          batchSize: 0,
          blockNumber: at.blockNumber,
        });
      } catch (error) {
        if (isTransportFailure(error)) throw error;
        // Refused, or one call reverted: one by one, which says precisely which.
        return Promise.all(chunk.map(one));
      }
    }),
  );
  return results.flat();
}
