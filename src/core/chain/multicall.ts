/**
 * Many view calls in few eth_calls: Multicall3's aggregate3 run "deployless" (its creation code
 * as the eth_call's data, so no contract needs to exist on the chain), CALLS_PER_AGGREGATE calls
 * per eth_call, the eth_calls themselves batched by the transport. 10,000 getAttesterView are 250
 * eth_calls in one HTTP request instead of 10,000 calls in 20. A node that refuses the aggregate
 * (a gas cap below it, no deployless calls) gets the calls one by one, still batched, each
 * through readContractExactly.
 *
 * viem decodes aggregate3's answer and each call's return data in it, so the length of one call's
 * data cannot be checked here as readContractExactly checks it; what is checked is that the
 * aggregate answers every call it was asked, no more and no fewer.
 */
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
} from "viem";
import { splitIntoChunks } from "../plan/chunks.js";
import {
  isTransportFailure,
  readContractExactly,
  type AtBlock,
  type ChainClient,
} from "./client.js";
import { MalformedAnswerError } from "./verified-fetch.js";

/**
 * Calls per aggregate. A deployless call's answer is returned by a constructor, so it counts as
 * created code and must stay under EIP-170's 24,576 bytes (and its data under EIP-3860's 49,152
 * bytes of init code): a getAttesterView answer is about 500 bytes in aggregate3's encoding, an
 * entry-queue entry about 450, so 40 stay near 20 KB. Gas is no concern (about 30k per view).
 */
export const CALLS_PER_AGGREGATE = 40;

type Read = "pure" | "view";

/**
 * `functionName` of the contract at `address` with each of `argsOfEach`, the results in order,
 * typed by the ABI as readContractExactly's; a call that reverts throws as readContract would.
 */
export async function readViewsAggregated<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Read>,
  const args extends ContractFunctionArgs<abi, Read, functionName>,
>(
  chain: ChainClient,
  parameters: {
    address: Address;
    abi: abi;
    functionName: functionName;
    argsOfEach: readonly args[];
  } & AtBlock,
): Promise<ContractFunctionReturnType<abi, Read, functionName, args>[]> {
  type Result = ContractFunctionReturnType<abi, Read, functionName, args>;
  const { address, abi, functionName, blockNumber } = parameters;
  // The generics are forwarded as viem's own actions forward theirs (checked at this function's
  // call, by its signature): to readContractExactly and multicall without their inference.
  const callOf = (args: args) => ({ address, abi, functionName, args, blockNumber });
  const readOne = readContractExactly as (chain: ChainClient, call: unknown) => Promise<Result>;
  const one = (args: args) => readOne(chain, callOf(args));
  const results = await Promise.all(
    splitIntoChunks(parameters.argsOfEach, CALLS_PER_AGGREGATE).map(async (chunk) => {
      let answers: unknown[];
      try {
        answers = await chain.client.multicall({
          contracts: chunk.map(callOf) as Parameters<typeof chain.client.multicall>[0]["contracts"],
          deployless: true,
          allowFailure: false,
          batchSize: 0,
          blockNumber,
        });
      } catch (error) {
        if (isTransportFailure(error)) throw error;
        // Refused, or one call reverted: one by one, which says precisely which.
        return Promise.all(chunk.map(one));
      }
      if (answers.length !== chunk.length) {
        throw new MalformedAnswerError(
          `answered an aggregate of ${chunk.length} ${functionName} calls with ${answers.length} results`,
        );
      }
      return answers as Result[];
    }),
  );
  return results.flat();
}
