/**
 * Safe{Wallet} Transaction Builder batch files: what a multisig provider admin imports to propose
 * the calls add-keys and drip-queue print. One file per transaction, because the Transaction
 * Builder executes a file as one (MultiSend) transaction, which must fit EIP-7825's cap itself.
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

/** A call for the provider admin to send, and what it does (for the file's description). */
export interface AdminTransaction {
  contractToCall: Address;
  callData: Hex;
  /** "addKeysToProvider: 73 validators for staking provider 2". */
  description: string;
}

/** `<prefix>-<i>-of-<n>.json` for i = 1..n. */
export function safeTransactionBuilderFileNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}-of-${count}.json`);
}

/** One batch file per transaction, in sending order; `command` names the files' maker. */
export function safeTransactionBuilderBatches(input: {
  command: string;
  chainId: number;
  safe: Address;
  createdAt: number;
  transactions: readonly AdminTransaction[];
}): SafeTransactionBuilderBatch[] {
  const n = input.transactions.length;
  return input.transactions.map((tx, i) =>
    safeTransactionBuilderBatch({
      chainId: input.chainId,
      createdAt: input.createdAt,
      name: `aztec-butler ${input.command} ${i + 1} of ${n}`,
      description: `${tx.description} (transaction ${i + 1} of ${n}; execute in order)`,
      safe: input.safe,
      transactions: [{ to: tx.contractToCall, value: "0", data: tx.callData }],
    }),
  );
}

/**
 * A command's calldata files: `--output` (exactly what stdout gets) and, with
 * `--safe-tx-builder <prefix>`, one Safe Transaction Builder file per transaction for the
 * provider admin's multisig. Existing files are replaced only with `force`.
 */
export function adminTransactionWrites(input: {
  command: string;
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
  stdoutJson: string;
  registry: { chainId: number; providerAdmin: Address };
  transactions: readonly AdminTransaction[];
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
    command: input.command,
    chainId: registry.chainId,
    safe: registry.providerAdmin,
    createdAt: input.createdAt ?? Date.now(),
    transactions,
  });
  return [...writes, ...names.map((path, i) => file(path, toJsonText(batches[i])))];
}

/** add-keys' files: its addKeysToProvider calls, described by how many validators each adds. */
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
  return adminTransactionWrites({
    ...input,
    command: "add-keys",
    transactions: input.transactions.map((tx) => ({
      contractToCall: tx.contractToCall,
      callData: tx.callData,
      description: addKeysDescription(tx.attesters.length, input.registry.providerId),
    })),
  });
}

/** "addKeysToProvider: 73 validators for staking provider 2". */
export function addKeysDescription(validators: number, providerId: bigint): string {
  return `addKeysToProvider: ${validators} validator${validators === 1 ? "" : "s"} for staking provider ${providerId}`;
}
