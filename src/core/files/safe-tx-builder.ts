/**
 * Safe{Wallet} Transaction Builder batch files: what a multisig provider admin imports to propose
 * add-keys' transactions. One file per transaction, because the Transaction Builder executes a
 * file as one (MultiSend) transaction, which must fit EIP-7825's cap itself.
 */
import type { Address, Hex } from "viem";
import { toJsonText, type PlannedWrite } from "./safe-write.js";

/** One transaction of a batch: a call (add-keys) or a plain ETH transfer (data "0x"). */
export interface SafeTransaction {
  to: Address;
  /** Wei, as a decimal string. */
  value: string;
  data: Hex;
}

export interface SafeTransactionBuilderBatch {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: { name: string; description: string; createdFromSafeAddress?: Address };
  transactions: SafeTransaction[];
}

/**
 * One Transaction Builder file: what the builder executes as one (MultiSend) transaction. Every
 * command's files are built here, so the format's rules live in one place. `safe`, when known,
 * is the multisig that is to execute it (the builder shows it; it is not required on import).
 */
export function safeTransactionBuilderBatch(input: {
  chainId: number;
  createdAt: number;
  name: string;
  description: string;
  safe?: Address;
  transactions: readonly SafeTransaction[];
}): SafeTransactionBuilderBatch {
  return {
    version: "1.0",
    chainId: String(input.chainId),
    createdAt: input.createdAt,
    meta: {
      name: input.name,
      description: input.description,
      ...(input.safe === undefined ? {} : { createdFromSafeAddress: input.safe }),
    },
    transactions: input.transactions.map(({ to, value, data }) => ({ to, value, data })),
  };
}

/** `<prefix>-<i>-of-<n>.json` for i = 1..n. */
export function safeTransactionBuilderFileNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}-of-${count}.json`);
}

/** add-keys' batch files, one per transaction, in sending order. */
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
  return input.transactions.map((tx, i) =>
    safeTransactionBuilderBatch({
      chainId: input.chainId,
      createdAt: input.createdAt,
      name: `aztec-butler add-keys ${i + 1} of ${n}`,
      description:
        `addKeysToProvider: ${tx.attesters.length} validator${tx.attesters.length === 1 ? "" : "s"} ` +
        `for staking provider ${input.providerId} (transaction ${i + 1} of ${n}; execute in order)`,
      safe: input.safe,
      transactions: [{ to: tx.contractToCall, value: "0", data: tx.callData }],
    }),
  );
}

/**
 * add-keys' files: `--output` (exactly what stdout gets) and, with `--safe-tx-builder <prefix>`,
 * one Safe Transaction Builder file per transaction, for the provider admin's multisig. Existing
 * files are replaced only with `force`.
 */
export function addKeysOutputWrites(input: {
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
  stdoutJson: string;
  registry: { chainId: number; providerAdmin: Address; providerId: bigint };
  transactions: readonly {
    contractToCall: Address;
    callData: Hex;
    attesters: readonly Address[];
  }[];
  createdAt?: number;
}): PlannedWrite[] {
  const file = (path: string, content: string): PlannedWrite => ({
    path,
    content,
    overwrite: input.force,
    hint: "pass --force to replace it",
  });
  const writes = input.output === undefined ? [] : [file(input.output, input.stdoutJson)];
  if (input.safeTxBuilder === undefined) return writes;
  const { transactions, registry } = input;
  const names = safeTransactionBuilderFileNames(input.safeTxBuilder, transactions.length);
  const batches = safeTransactionBuilderBatches({
    chainId: registry.chainId,
    safe: registry.providerAdmin,
    providerId: registry.providerId,
    createdAt: input.createdAt ?? Date.now(),
    transactions,
  });
  return [...writes, ...names.map((path, i) => file(path, toJsonText(batches[i])))];
}
