/**
 * add-keys' transactions: the registration tuples split into as few addKeysToProvider calls as fit the gas
 * one transaction may use, each proven by eth_estimateGas of exactly that call sent by the
 * provider admin.
 */
import { encodeFunctionData, type Address } from "viem";
import { stakingRegistryAbi, stakingRegistryErrorsAbi } from "../../types/abi/staking-registry.js";
import { ChainRefusalError } from "../errors.js";
import type { G1Point, RegistrationTuple, RegistrationKeys } from "../keys/registration.js";
import {
  EstimateRevertedError,
  ItemTooLargeError,
  splitByGas,
} from "../plan/transaction-batches.js";
import type { ChainClient } from "./client.js";
import { minimumAddKeysGas } from "../plan/gas-floor.js";
import { estimateGasOfCalls, readGasBudget, type GasBudget } from "./gas.js";
import { readRegistrationDigests } from "./gse.js";
import { findRollupKnownAttesters, type AztecL1 } from "./rollup.js";
import type { RollupKnownAttester } from "../plan/registered-attesters.js";
import { readProviderQueue, type RegistryContext } from "./staking-registry.js";

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

const encode = (providerId: bigint, tuples: readonly RegistrationTuple[]) =>
  encodeFunctionData({
    abi: stakingRegistryAbi,
    functionName: "addKeysToProvider",
    args: [providerId, tuples],
  });

/**
 * The addKeysToProvider calls for `tuples`, in order, each estimated at most 90% of
 * min(2^24, the latest block's gas limit) and at most `maxKeysPerTx` keys. A reverting estimate
 * or a key that cannot fit alone is a ChainRefusalError naming the attester.
 */
export async function fitAddKeysTransactions(
  chain: ChainClient,
  options: {
    registry: RegistryContext;
    tuples: readonly RegistrationTuple[];
    maxKeysPerTx?: number;
    /** The private-key file, for the refusals. */
    file?: string;
  },
): Promise<FittedTransactions> {
  const { registry, tuples } = options;
  const budget = await readGasBudget(chain);
  let estimates = 0;
  try {
    const batches = await splitByGas({
      items: tuples,
      budget: budget.budget,
      maxPerBatch: options.maxKeysPerTx,
      estimate: (batches) => {
        estimates += batches.length;
        return estimateGasOfCalls(chain, {
          from: registry.providerAdmin,
          calls: batches.map((b) => {
            const data = encode(registry.providerId, b);
            return {
              to: registry.registry,
              data,
              minimum: {
                gas: minimumAddKeysGas(data, b.length),
                what: `addKeysToProvider of ${b.length} key${b.length === 1 ? "" : "s"} (21,000 + its calldata + 9 fresh storage words a key)`,
              },
            };
          }),
          errorsAbi: stakingRegistryErrorsAbi,
        });
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
          ? `validator ${error.firstItem} (attester ${tuples[error.firstItem]!.attester})`
          : `validators ${error.firstItem}–${error.firstItem + error.itemCount - 1}`;
      throw new ChainRefusalError(
        "ADD_KEYS_WOULD_REVERT",
        `the registry ${registry.registry} would revert addKeysToProvider sent by provider ` +
          `${registry.providerId}'s admin ${registry.providerAdmin} for ${who}: ${error.reason}; ` +
          "nothing printed",
        { file: options.file },
        { cause: error },
      );
    }
    if (error instanceof ItemTooLargeError) {
      throw new ChainRefusalError(
        "KEY_TOO_LARGE",
        `one key alone needs ${error.gas === undefined ? "more gas than the node allows" : `${error.gas} gas`}, ` +
          `over the ${budget.budget} a transaction may use (90% of min(2^24, block gas limit ${budget.blockGasLimit}))`,
        { file: options.file },
        { cause: error },
      );
    }
    throw error;
  }
}

/** What add-keys reads before it signs: the provider's queue, the digests, what the rollup knows. */
export interface AddKeysChainState {
  attesters: Address[];
  queue: { attesters: Address[]; calls: number };
  digests: G1Point[];
  rollupKnown: { known: RollupKnownAttester[]; calls: number };
  /** JSON-RPC calls made, for the report. */
  calls: number;
}

/**
 * The provider's queue, every validator's registration digest (the GSE's, for its G1 public key)
 * and the attesters the rollup already knows, read together (batched) at `blockNumber`. When
 * several reads fail, the first one's error (queue, then digests, then rollup) is reported.
 */
export async function readAddKeysChainState(
  chain: ChainClient,
  input: {
    registry: RegistryContext;
    l1: AztecL1;
    validators: readonly { keys: RegistrationKeys }[];
    blockNumber: bigint;
  },
): Promise<AddKeysChainState> {
  const { registry, l1, blockNumber } = input;
  const attesters = input.validators.map((v) => v.keys.attester);
  const gse = { address: l1.gse, described: l1.gseDescribed };
  const publicKeys = input.validators.map((v) => v.keys.bls.g1);
  const settled = await Promise.allSettled([
    readProviderQueue(chain, { registry, blockNumber }),
    readRegistrationDigests(chain, { gse, chainId: registry.chainId, publicKeys, blockNumber }),
    findRollupKnownAttesters(chain, { rollup: l1.rollup, attesters, blockNumber }),
  ] as const);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  const [queue, digests, rollupKnown] = settled.map(
    (r) => (r as PromiseFulfilledResult<unknown>).value,
  ) as [AddKeysChainState["queue"], G1Point[], AddKeysChainState["rollupKnown"]];
  const calls = queue.calls + digests.length + 1 + rollupKnown.calls;
  return { attesters, queue, digests, rollupKnown, calls };
}
