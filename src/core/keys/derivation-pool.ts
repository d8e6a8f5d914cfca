import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { prestartWorker, startWorker, stopWorker } from "../files/worker-entry.js";
import { recordPhase } from "../phase-timings.js";
import type { Hex } from "../../types/primitives.js";
import type {
  DerivationWorkerData,
  TaskItem,
  TaskKind,
  TaskMessage,
  TaskResult,
  WarmUpKind,
  WorkerMessage,
} from "./derivation-protocol.js";
import type { AttesterPrivateKeys, AttesterPublicKeys } from "./private-keys.js";

const workerDataFor = (warmUp: WarmUpKind[]): DerivationWorkerData => ({ warmUp });

/**
 * Starts the worker a pool's first worker will be (it loads Barretenberg), before the command
 * that needs it has even loaded: a pool made later in the run takes it over.
 */
export function prestartDerivationWorker(): void {
  prestartedAt ??= performance.now();
  prestartWorker("derive-keys-worker", workerDataFor(["bls", "eth"]));
}

/** When the run prestarted a worker: the breakdown's "workers ready" counts from there. */
let prestartedAt: number | undefined;

/** Below this many keys per worker, another worker thread costs more than it saves. */
const KEYS_PER_WORKER_MINIMUM = 256;
/** Items per task handed to a worker: small enough that the workers finish together. */
const ITEMS_PER_TASK: Record<TaskKind, number> = {
  eth: 250,
  bls: 250,
  // pbkdf2 (c=262144) costs about 50 ms: a few per task keep every worker busy to the end.
  "bls-keystore-decrypt": 4,
  "bls-keystore-create": 4,
};
/** The library a task kind needs loaded. */
const LIBRARY_OF: Record<TaskKind, WarmUpKind> = {
  eth: "eth",
  bls: "bls",
  "bls-keystore-decrypt": "bls",
  "bls-keystore-create": "bls",
};

/** A derivation under way (deriveAddressesFirst): the eth addresses resolve first. */
export interface DerivedAttesters {
  addresses: Promise<Hex[]>;
  publicKeys: Promise<AttesterPublicKeys[]>;
}

/** The eth keys and the BLS keys of the attesters, as two task lists. */
const attesterLists = (keys: readonly AttesterPrivateKeys[]) =>
  [
    { kind: "eth", items: keys.map((key) => key.eth) },
    { kind: "bls", items: keys.map((key) => key.bls) },
  ] as const;

/** Progress in attesters (both keys derived) from progress in keys. */
function progressOfPairs(onProgress?: (done: number) => void): (keysDone: number) => void {
  let done = 0;
  return (n) => onProgress?.(Math.floor((done += n) / 2));
}

const zipAttesters = (addresses: readonly unknown[], blsKeys: readonly unknown[]) =>
  addresses.map((eth, i) => ({ eth: eth as Hex, bls: blsKeys[i] as Hex }));

interface PoolWorker {
  worker: Worker;
  /** The libraries it loads, in the order it prefers their tasks. */
  libraries: WarmUpKind[];
  /** Tasks posted and not answered yet. */
  outstanding: number;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  /** The running schedule's handlers. */
  onDone?: (message: Extract<WorkerMessage, { type: "done" }>) => void;
  onFailure?: (error: Error) => void;
}

/**
 * Worker threads that derive attester public keys (viem for eth, computeBn254G1PublicKeyCompressed
 * for bls) and decrypt or create BN254 keystores: one per core (at most 4), fewer for small sets,
 * always at least one. The main thread never loads @aztec/foundation, so it stays free for the
 * chain reads that run meanwhile.
 *
 * The workers start loading their libraries as soon as the pool exists, so a command can start
 * it first and check its inputs and the chain while they warm up. Loading Barretenberg costs a
 * thread about 150 ms of CPU and its own WebAssembly memory, so only half of the workers (rounded
 * up) load it and take BLS tasks first; the others derive only eth addresses. All work goes
 * through one scheduling loop (schedule): a queue of tasks that idle workers take in turn, each
 * the first task of the library it prefers.
 *
 * `await using` it (or close() it in a finally): workers are terminated rather than left to exit
 * (or, in the test suite only, kept warm for the next run: worker-entry.ts).
 */
export class KeyDerivationPool implements AsyncDisposable {
  private readonly workers: PoolWorker[];

  constructor(keyCount: number) {
    const workerCount = Math.max(
      1,
      Math.min(4, availableParallelism(), Math.floor(keyCount / KEYS_PER_WORKER_MINIMUM)),
    );
    // Measured at 10,000 keys on 2 cores: Barretenberg in every worker, eth tasks first, made the
    // run slower (3.4 s against 3.3 s): the second instance's start-up costs more than the
    // earlier addresses save.
    const blsWorkerCount = Math.ceil(workerCount / 2);
    const startedAt = prestartedAt ?? performance.now();
    prestartedAt = undefined;
    const ready: Promise<void>[] = [];
    this.workers = Array.from({ length: workerCount }, (_, w) => {
      const libraries: WarmUpKind[] = w < blsWorkerCount ? ["bls", "eth"] : ["eth"];
      const worker = startWorker("derive-keys-worker", workerDataFor(libraries));
      const entry: PoolWorker = { worker, libraries, outstanding: 0 };
      let markReady!: () => void;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      // Listening from the start: a worker that fails before any task is reported by the next.
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") return markReady();
        entry.outstanding--;
        entry.onDone?.(message);
      });
      const fail = (error: Error) => {
        entry.failure ??= error;
        markReady();
        entry.onFailure?.(error);
      };
      worker.on("error", fail);
      worker.on("exit", (code) =>
        fail(new Error(`key derivation worker exited with code ${code} before its work was done`)),
      );
      return entry;
    });
    // For the bench's breakdown only (a worker kept warm by an earlier test run says nothing).
    void Promise.all(ready).then(() => recordPhase("workers ready", startedAt));
  }

  /** Public keys of every attester, in input order. Keys must have passed refuseUnusablePrivateKeys. */
  derive(
    keys: readonly AttesterPrivateKeys[],
    onProgress?: (done: number) => void,
  ): Promise<AttesterPublicKeys[]> {
    return this.deriveAddressesFirst(keys, onProgress).publicKeys;
  }

  /**
   * The same as derive(), with the eth addresses as soon as they are all derived (by the workers
   * without Barretenberg, while the others derive the BLS keys): the caller can read the chain
   * for them meanwhile.
   */
  deriveAddressesFirst(
    keys: readonly AttesterPrivateKeys[],
    onProgress?: (done: number) => void,
  ): DerivedAttesters {
    const [addresses, blsKeys] = this.runLists(attesterLists(keys), progressOfPairs(onProgress));
    const derived: DerivedAttesters = {
      addresses: addresses as Promise<Hex[]>,
      publicKeys: Promise.all([addresses!, blsKeys!]).then(([a, b]) => zipAttesters(a, b)),
    };
    // A caller may stop before it awaits them (its input refused meanwhile): a worker's failure
    // then is no unhandled rejection. Awaiting them still throws it.
    derived.addresses.catch(() => undefined);
    derived.publicKeys.catch(() => undefined);
    return derived;
  }

  /**
   * Decrypts EIP-2335 BN254 keystores on the workers that load Barretenberg, and derives each
   * key's public key (to check against the keystore's `pubkey`). Results in input order; a
   * keystore that fails to decrypt gives `{error}`.
   */
  decryptBlsKeystores(
    items: readonly TaskItem<"bls-keystore-decrypt">[],
    onProgress?: (done: number) => void,
  ): Promise<TaskResult<"bls-keystore-decrypt">[]> {
    return this.runKind("bls-keystore-decrypt", items, onProgress);
  }

  /** EIP-2335 BN254 keystores (Aztec's format) of the given BLS keys, in input order. */
  createBlsKeystores(
    items: readonly TaskItem<"bls-keystore-create">[],
    onProgress?: (done: number) => void,
  ): Promise<TaskResult<"bls-keystore-create">[]> {
    return this.runKind("bls-keystore-create", items, onProgress);
  }

  private runKind<K extends TaskKind>(
    kind: K,
    items: readonly TaskItem<K>[],
    onProgress?: (done: number) => void,
  ): Promise<TaskResult<K>[]> {
    let done = 0;
    const [results] = this.runLists([{ kind, items }], (n) => onProgress?.((done += n)));
    return results as Promise<TaskResult<K>[]>;
  }

  /**
   * Each list's results, in order, each resolving when its own tasks are done, all computed by
   * one run of the scheduling loop. A worker failure rejects every list not done yet.
   */
  private runLists(
    lists: readonly { kind: TaskKind; items: readonly unknown[] }[],
    onProgress: (itemsDone: number) => void,
  ): Promise<unknown[]>[] {
    const tasks = lists.flatMap(({ kind, items }) =>
      Array.from({ length: Math.ceil(items.length / ITEMS_PER_TASK[kind]) }, (_, i) => {
        const start = i * ITEMS_PER_TASK[kind];
        return {
          kind,
          start,
          items: items.slice(start, start + ITEMS_PER_TASK[kind]),
        } as TaskMessage;
      }),
    );
    const outcomes = lists.map(({ kind, items }) => {
      const results = new Array<unknown>(items.length);
      let remaining = Math.ceil(items.length / ITEMS_PER_TASK[kind]);
      let settle!: { resolve: (r: unknown[]) => void; reject: (e: unknown) => void };
      const promise = new Promise<unknown[]>((resolve, reject) => (settle = { resolve, reject }));
      if (remaining === 0) settle.resolve(results);
      const taskDone = (start: number, values: unknown[]) => {
        values.forEach((value, i) => (results[start + i] = value));
        if (--remaining === 0) settle.resolve(results);
      };
      return { kind, promise, taskDone, reject: settle.reject };
    });
    const byKind = new Map(outcomes.map((outcome) => [outcome.kind, outcome]));
    this.schedule(tasks, (message) => {
      byKind.get(message.kind)!.taskDone(message.start, message.results);
      onProgress(message.results.length);
    }).catch((error: unknown) => outcomes.forEach((outcome) => outcome.reject(error)));
    return outcomes.map((outcome) => outcome.promise);
  }

  /**
   * The one scheduling loop: every worker that has a library some task needs takes, whenever it
   * is idle, the first pending task of the library it prefers; resolves when every task is
   * answered, rejects at the first worker failure. One schedule at a time per pool.
   */
  private schedule(
    tasks: TaskMessage[],
    onDone: (message: Extract<WorkerMessage, { type: "done" }>) => void,
  ): Promise<void> {
    const pending = [...tasks];
    const needed = new Set(pending.map((task) => LIBRARY_OF[task.kind]));
    const able = this.workers.filter((entry) => entry.libraries.some((lib) => needed.has(lib)));
    return Promise.all(
      able.map(
        (entry) =>
          new Promise<void>((resolve, reject) => {
            if (entry.failure) return reject(entry.failure);
            let finished = false;
            const next = () => {
              const index = entry.libraries
                .map((lib) => pending.findIndex((task) => LIBRARY_OF[task.kind] === lib))
                .find((i) => i >= 0);
              if (index === undefined) {
                finished = true;
                return resolve();
              }
              const [task] = pending.splice(index, 1);
              entry.outstanding++;
              entry.worker.postMessage(task);
            };
            entry.onDone = (message) => {
              onDone(message);
              next();
            };
            entry.onFailure = (error) => {
              if (finished) return;
              finished = true;
              reject(error);
            };
            next();
          }),
      ),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    for (const entry of this.workers) entry.onFailure = undefined;
    await Promise.all(
      this.workers.map((entry) =>
        stopWorker(entry.worker, { healthy: !entry.failure && entry.outstanding === 0 }),
      ),
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
