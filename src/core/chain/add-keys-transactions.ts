/**
 * add-keys' transactions: the key stores split into as few addKeysToProvider calls as fit the gas
 * one transaction may use, each proven by eth_estimateGas of exactly that call sent by the
 * provider admin.
 */
import { encodeFunctionData, type Address } from "viem";
import { stakingRegistryAbi, stakingRegistryErrorsAbi } from "../../types/abi/staking-registry.js";
import { ChainRefusalError } from "../errors.js";
import type { KeyStore } from "../keys/registration.js";
import {
  EstimateRevertedError,
  ItemTooLargeError,
  splitByGas,
} from "../plan/transaction-batches.js";
import type { ChainClient } from "./client.js";
import { estimateGasOfCalls, readGasBudget, type GasBudget } from "./gas.js";
import type { RegistryContext } from "./staking-registry.js";

export interface EstimatedAddKeysTransaction {
  contractToCall: Address;
  callData: `0x${string}`;
  /** The attesters it adds, in queue order. */
  attesters: Address[];
  /** eth_estimateGas of this call from the provider admin. */
  gas: bigint;
}

export interface FittedTransactions {
  transactions: EstimatedAddKeysTransaction[];
  budget: GasBudget;
  /** eth_estimateGas calls made. */
  estimates: number;
}

const encode = (providerId: bigint, keyStores: readonly KeyStore[]) =>
  encodeFunctionData({
    abi: stakingRegistryAbi,
    functionName: "addKeysToProvider",
    args: [providerId, keyStores],
  });

/**
 * The addKeysToProvider calls for `keyStores`, in order, each estimated at most 90% of
 * min(2^24, the latest block's gas limit) and at most `maxKeysPerTx` keys. A reverting estimate
 * or a key that cannot fit alone is a ChainRefusalError naming the attester.
 */
export async function fitAddKeysTransactions(
  chain: ChainClient,
  registry: RegistryContext,
  keyStores: readonly KeyStore[],
  options: { maxKeysPerTx?: number; file?: string },
): Promise<FittedTransactions> {
  const budget = await readGasBudget(chain);
  let estimates = 0;
  try {
    const batches = await splitByGas({
      items: keyStores,
      budget: budget.budget,
      maxPerBatch: options.maxKeysPerTx,
      estimate: (batches) => {
        estimates += batches.length;
        return estimateGasOfCalls(
          chain,
          registry.providerAdmin,
          batches.map((b) => ({ to: registry.registry, data: encode(registry.providerId, b) })),
          stakingRegistryErrorsAbi,
        );
      },
    });
    return {
      budget,
      estimates,
      transactions: batches.map((b) => ({
        contractToCall: registry.registry,
        callData: encode(registry.providerId, b.items),
        attesters: b.items.map((k) => k.attester),
        gas: b.gas,
      })),
    };
  } catch (error) {
    if (error instanceof EstimateRevertedError) {
      const who =
        error.itemCount === 1
          ? `validator ${error.firstItem} (attester ${keyStores[error.firstItem]!.attester})`
          : `validators ${error.firstItem}–${error.firstItem + error.itemCount - 1}`;
      throw new ChainRefusalError(
        `the registry ${registry.registry} would revert addKeysToProvider sent by provider ` +
          `${registry.providerId}'s admin ${registry.providerAdmin} for ${who}: ${error.reason}; ` +
          "nothing printed",
        { file: options.file },
      );
    }
    if (error instanceof ItemTooLargeError) {
      throw new ChainRefusalError(
        `one key alone needs ${error.gas === undefined ? "more gas than the node allows" : `${error.gas} gas`}, ` +
          `over the ${budget.budget} a transaction may use (90% of min(2^24, block gas limit ${budget.blockGasLimit}))`,
        { file: options.file },
      );
    }
    throw error;
  }
}
