/**
 * drip-queue's transaction: `dripProviderQueue(providerId, n)` for the provider admin to send,
 * proven by eth_estimateGas of exactly that call from the admin before anything is printed.
 */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { stakingRegistryAbi, stakingRegistryErrorsAbi } from "../../types/abi/staking-registry.js";
import { ChainRefusalError } from "../errors.js";
import type { ChainClient } from "./client.js";
import { estimateGasOfCalls, readGasBudget, type GasBudget } from "./gas.js";
import type { RegistryContext } from "./staking-registry.js";

export interface EstimatedDripTransaction {
  contractToCall: Address;
  callData: Hex;
  /** eth_estimateGas of this call from the provider admin. */
  gas: bigint;
  budget: GasBudget;
}

/**
 * The drip of `count` keys, estimated from the admin: a revert is refused with its decoded reason
 * (the registry's errors by name), and so is a drip that needs more gas than a transaction may use
 * (90% of min(2^24, the block gas limit), as add-keys' calls).
 */
export async function estimateDripTransaction(
  chain: ChainClient,
  { registry, count }: { registry: RegistryContext; count: number },
): Promise<EstimatedDripTransaction> {
  const callData = encodeFunctionData({
    abi: stakingRegistryAbi,
    functionName: "dripProviderQueue",
    args: [registry.providerId, BigInt(count)],
  });
  const [budget, [estimate]] = await Promise.all([
    readGasBudget(chain),
    estimateGasOfCalls(chain, {
      from: registry.providerAdmin,
      calls: [{ to: registry.registry, data: callData }],
      errorsAbi: stakingRegistryErrorsAbi,
    }),
  ]);
  const call = `dripProviderQueue(${registry.providerId}, ${count}) sent to the registry ${registry.registry} by provider ${registry.providerId}'s admin ${registry.providerAdmin}`;
  if (estimate!.kind === "revert") {
    throw new ChainRefusalError(
      "DRIP_WOULD_REVERT",
      `${call} would revert: ${estimate!.reason}; nothing printed`,
    );
  }
  if (estimate!.kind === "too-large" || estimate!.gas > budget.budget) {
    const needs =
      estimate!.kind === "gas" ? `${estimate!.gas} gas` : "more gas than the node allows";
    throw new ChainRefusalError(
      "DRIP_TOO_LARGE",
      `${call} needs ${needs}, over the ${budget.budget} a transaction may use (90% of min(2^24, block gas ` +
        `limit ${budget.blockGasLimit})); drip fewer keys at a time with --count, nothing printed`,
    );
  }
  return { contractToCall: registry.registry, callData, gas: estimate!.gas, budget };
}
