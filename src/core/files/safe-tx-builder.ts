/**
 * Safe{Wallet} Transaction Builder batch files: what a multisig provider admin imports to propose
 * add-keys' transactions. One file per transaction, because the Transaction Builder executes a
 * file as one (MultiSend) transaction, which must fit EIP-7825's cap itself.
 */
import type { Address, Hex } from "viem";

export interface SafeTransactionBuilderBatch {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: { name: string; description: string; createdFromSafeAddress: Address };
  transactions: { to: Address; value: "0"; data: Hex }[];
}

/** `<prefix>-<i>-of-<n>.json` for i = 1..n. */
export function safeTransactionBuilderFileNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}-of-${count}.json`);
}

/** One batch file per transaction, in sending order. */
export function safeTransactionBuilderBatches(input: {
  chainId: number;
  safe: Address;
  providerId: bigint;
  createdAt: number;
  transactions: readonly {
    contractToCall: Address;
    callData: Hex;
    attesters: readonly Address[];
  }[];
}): SafeTransactionBuilderBatch[] {
  const n = input.transactions.length;
  return input.transactions.map((tx, i) => ({
    version: "1.0",
    chainId: String(input.chainId),
    createdAt: input.createdAt,
    meta: {
      name: `aztec-butler add-keys ${i + 1} of ${n}`,
      description:
        `addKeysToProvider: ${tx.attesters.length} validator${tx.attesters.length === 1 ? "" : "s"} ` +
        `for staking provider ${input.providerId} (transaction ${i + 1} of ${n}; execute in order)`,
      createdFromSafeAddress: input.safe,
    },
    transactions: [{ to: tx.contractToCall, value: "0", data: tx.callData }],
  }));
}
