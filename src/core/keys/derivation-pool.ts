import { statSync } from "node:fs";
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
  WorkerMessage,
} from "./derivation-protocol.js";
import type { AttesterPrivateKeys, AttesterPublicKeys } from "./private-keys.js";

/** Every worker loads both libraries, so any worker takes any task. */
const WORKER_DATA: DerivationWorkerData = { warmUp: ["eth", "bls"] };

/** Below this many keys per worker, another worker thread costs more than it saves. */
const KEYS_PER_WORKER_MINIMUM = 256;

/** The worker threads a pool for `keyCount` keys uses: one per core (at most 4), at least one. */
export function derivationWorkerCount(keyCount: number): number {
  return Math.max(
    1,
    Math.min(4, availableParallelism(), Math.floor(keyCount / KEYS_PER_WORKER_MINIMUM)),
  );
}

/**
 * The fewest bytes a validator takes in a key file: `{"attester":{"eth":"0x…","bls":"0x…"}},`
 * with its two 32-byte keys in hex, and nothing else.
 */
const FEWEST_BYTES_PER_VALIDATOR = 160;

/**
 * How many workers a pool for the largest regular file among a command's arguments could need:
 * its validators are no more than its size over the fewest bytes a validator takes. Arguments
 * that are options, or not files (missing, a directory, under a file), are the command's to
 * refuse and count for nothing here.
 */
export function derivationWorkersForFiles(args: readonly string[]): number {
  let largestFile = 0;
  for (const arg of args) {
    if (arg.startsWith("-")) continue;
    let stats;
    try {
      stats = statSync(arg, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (stats?.isFile()) largestFile = Math.max(largestFile, stats.size);
  }
  return derivationWorkerCount(Math.floor(largestFile / FEWEST_BYTES_PER_VALIDATOR));
}

/**
 * Starts the workers the command's pool will use (derivationWorkersForFiles of its arguments;
 * each loads Barretenberg: some 300 ms, on a core of its own while the main thread loads the
 * command and reads its input), before the command has even loaded; the pool made later in the
 * run takes them over. Too many costs a worker's start-up and no more (one no pool takes is
 * stopped at the end of the run); too few leaves the pool to start the others itself.
 */
export function prestartDerivationWorkers(args: readonly string[]): void {
  prestartedAt ??= performance.now();
  const count = derivationWorkersForFiles(args);
  for (let w = 0; w < count; w++) prestartWorker("derive-keys-worker", WORKER_DATA);
}

/** When the run prestarted workers: the breakdown's "workers ready" counts from there. */
let prestartedAt: number | undefined;

/** Items per task handed to a worker: small enough that the workers finish together. */
const ITEMS_PER_TASK: Record<TaskKind, number> = {
  eth: 250,
  bls: 250,
  // pbkdf2 (c=262144) costs about 50 ms: a few per task keep every worker busy to the end.
  "bls-keystore-decrypt": 4,
  "bls-keystore-create": 4,
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
  /** Tasks posted and not answered yet. */
  outstanding: number;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  /** The running schedule's handlers. */
  onDone?: (message: Extract<WorkerMessage, { type: "done" }>) => void;
  onFailure?: (error: Error) => void;
}

/**
 * Worker threads that derive attester public keys (libsecp256k1 and viem for eth,
 * computeBn254G1PublicKeyCompressed for bls) and decrypt or create BN254 keystores: one per core
 * (at most 4), fewer for small sets, always at least one. The main thread never loads
 * @aztec/foundation, so it stays free for the chain reads that run meanwhile.
 *
 * The workers start loading their libraries as soon as the pool exists (or before: see
 * prestartDerivationWorkers), so a command can start it first and check its inputs and the chain
 * while they warm up. Every worker loads Barretenberg (about 150 ms of CPU and its own WebAssembly
 * memory): a BLS key costs twice what an eth key costs, so workers that derived only eth addresses
 * sat idle for the last third of a large run. All work goes through one scheduling loop
 * (schedule): a queue of tasks, eth keys first (their addresses go to the chain reads while the
 * BLS keys are derived), that idle workers take in turn.
 *
 * `await using` it (or close() it in a finally): workers are terminated rather than left to exit
 * (or, in the test suite only, kept warm for the next run: worker-entry.ts).
 */
export class KeyDerivationPool implements AsyncDisposable {
  private readonly workers: PoolWorker[];

  constructor(keyCount: number) {
    const startedAt = prestartedAt ?? performance.now();
    prestartedAt = undefined;
    const ready: Promise<void>[] = [];
    this.workers = Array.from({ length: derivationWorkerCount(keyCount) }, () => {
      const worker = startWorker("derive-keys-worker", WORKER_DATA);
      const entry: PoolWorker = { worker, outstanding: 0 };
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
   * The same as derive(), with the eth addresses as soon as they are all derived (their tasks go
   * first, and take a third of the time): the caller can read the chain for them while the
   * workers derive the BLS keys.
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
   * Decrypts EIP-2335 BN254 keystores on the workers, and derives each
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
   * The one scheduling loop: every worker takes, whenever it is idle, the first pending task;
   * resolves when every task is answered, rejects at the first worker failure. One schedule at a
   * time per pool.
   */
  private schedule(
    tasks: TaskMessage[],
    onDone: (message: Extract<WorkerMessage, { type: "done" }>) => void,
  ): Promise<void> {
    const pending = [...tasks];
    return Promise.all(
      this.workers.map(
        (entry) =>
          new Promise<void>((resolve, reject) => {
            if (entry.failure) return reject(entry.failure);
            let finished = false;
            const next = () => {
              const task = pending.shift();
              if (!task) {
                finished = true;
                return resolve();
              }
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
