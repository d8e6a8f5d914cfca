// The messages between the KeyDerivationPool (derivation-pool.ts) and its worker threads
// (derive-keys-worker.ts): one table of task kinds, each with the item it takes and the result it
// gives, so both sides are checked against the same types.
import type { Hex } from "../../types/primitives.js";

/** What each kind of task takes (one item per key or keystore) and gives back, in order. */
export interface DerivationTasks {
  /** eth private key → checksummed address (libsecp256k1, then viem). */
  eth: { item: Hex; result: Hex };
  /** BLS private key → compressed BN254 G1 public key (@aztec/foundation). */
  bls: { item: Hex; result: Hex };
  /** EIP-2335 BN254 keystore and its password → the key and its public key, or why not. */
  "bls-keystore-decrypt": {
    item: { keystore: unknown; password: string };
    result: { key: Hex; pubkey: Hex } | { error: string };
  };
  /** BLS key, its public key and a password → an EIP-2335 BN254 keystore (Aztec's format). */
  "bls-keystore-create": { item: { key: Hex; pubkey: Hex; password: string }; result: unknown };
}

export type TaskKind = keyof DerivationTasks;
export type TaskItem<K extends TaskKind> = DerivationTasks[K]["item"];
export type TaskResult<K extends TaskKind> = DerivationTasks[K]["result"];

/** The libraries a worker loads at once: "eth" (libsecp256k1, viem), "bls" (Barretenberg). */
export type WarmUpKind = "eth" | "bls";

/** The worker's workerData. */
export interface DerivationWorkerData {
  warmUp: WarmUpKind[];
}

/** Main thread → worker: derive `items`, the ones from index `start` of the whole run. */
export type TaskMessage = {
  [K in TaskKind]: { kind: K; start: number; items: TaskItem<K>[] };
}[TaskKind];

/** Worker → main thread: its libraries are loaded (once), or a task's results. */
export type WorkerMessage =
  | { type: "ready" }
  | {
      [K in TaskKind]: { type: "done"; kind: K; start: number; results: TaskResult<K>[] };
    }[TaskKind];
