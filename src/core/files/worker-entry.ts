import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";

/**
 * A file of dist/: a worker's esbuild bundle, or data the build prepared. In the bundled CLI this
 * module is part of one of dist/'s files, so the file sits beside it; run from src/ (vitest, tsx)
 * it is the same dist/ file, which tests/global-setup.ts builds first — a worker thread cannot
 * load TypeScript without a loader, and the bundle starts faster than Node resolving viem.
 * Undefined when it is missing.
 */
export function distFileUrl(file: string): URL | undefined {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(fromSource ? `../../../dist/${file}` : `./${file}`, import.meta.url);
  return existsSync(url) ? url : undefined;
}

/** The file a worker thread runs: dist/<name>.js, the worker's esbuild bundle. */
export function workerEntryUrl(name: "derive-keys-worker" | "node-keystore-check-worker"): URL {
  const url = distFileUrl(`${name}.js`);
  if (!url) throw new Error(`dist/${name}.js is missing; run \`npm run build\` first`);
  return url;
}

type WorkerName = Parameters<typeof workerEntryUrl>[0];

/**
 * TESTS ONLY: warm worker threads kept for the next run in the same process. The test suite runs
 * hundreds of commands in-process (tests/support/cli.ts runInProcess), and each would otherwise
 * start fresh workers that load Barretenberg or the node's keystore code (about 0.4 s of CPU
 * each). Only when the global below is set — by tests/support/in-process-setup.ts, in vitest's
 * processes, never by anything an operator can set, and not in the runs the tests spawn — a
 * worker given back idle and healthy is kept (unref'd) instead of terminated, and handed to the
 * next run asking for the same worker with the same workerData. Otherwise (the bin) workers
 * start fresh and are terminated, as before.
 */
const TEST_ONLY_REUSE_WORKERS = Symbol.for("aztec-butler.test-only.reuse-workers");
const idleWorkers = new Map<string, Worker[]>();
const reuseWorkers = () =>
  (globalThis as Record<symbol, unknown>)[TEST_ONLY_REUSE_WORKERS] === true;

/** Workers started ahead of the code that uses them (prestartWorker), by what they were given. */
const prestarted = new Map<string, Worker[]>();

const keyOf = (name: WorkerName, workerData: unknown) =>
  `${name} ${JSON.stringify(workerData ?? null)}`;

/**
 * Starts a worker now that startWorker(name, workerData) hands out later in the same run, so its
 * start-up (loading its libraries) overlaps the main thread's. One not taken by the end of the
 * run is stopped by releasePrestartedWorkers.
 */
export function prestartWorker(name: WorkerName, workerData?: unknown): void {
  const key = keyOf(name, workerData);
  // Not startWorker: that would hand out a worker prestarted a moment ago, so asking for two
  // started one.
  const worker = idleOrNewWorker(name, workerData);
  // What it says before it is taken is kept and replayed to its taker (an error too: until then
  // it must not crash the run).
  const early: [string, unknown[]][] = [];
  for (const event of ["message", "error", "exit"]) {
    worker.on(event, (...args: unknown[]) => early.push([event, args]));
  }
  earlyEvents.set(worker, early);
  prestarted.set(key, [...(prestarted.get(key) ?? []), worker]);
}

const earlyEvents = new WeakMap<Worker, [string, unknown[]][]>();

/** Stops the prestarted workers no one took (run() calls it at the end of every run). */
export async function releasePrestartedWorkers(): Promise<void> {
  const workers = [...prestarted.values()].flat();
  prestarted.clear();
  const failed = (worker: Worker) =>
    (earlyEvents.get(worker) ?? []).some(([event]) => event !== "message");
  await Promise.all(workers.map((worker) => stopWorker(worker, { healthy: !failed(worker) })));
}

/**
 * A worker thread running dist/<name>.js: one prestarted for it in this run, or (in tests only)
 * one kept warm by an earlier run, or a new one.
 */
export function startWorker(name: WorkerName, workerData?: unknown): Worker {
  const key = keyOf(name, workerData);
  const early = prestarted.get(key)?.shift();
  if (early) {
    removeListeners(early);
    // Replayed once the taker, which listens right after this returns, is listening.
    const events = earlyEvents.get(early) ?? [];
    setImmediate(() => events.forEach(([event, args]) => early.emit(event, ...args)));
    return early;
  }
  return idleOrNewWorker(name, workerData);
}

/** A worker kept warm by an earlier run (in tests only), or a new one. */
function idleOrNewWorker(name: WorkerName, workerData?: unknown): Worker {
  const key = keyOf(name, workerData);
  if (reuseWorkers()) {
    const idle = idleWorkers.get(key)?.pop();
    if (idle) {
      removeListeners(idle);
      idle.ref();
      return idle;
    }
  }
  const worker = new Worker(workerEntryUrl(name), workerData === undefined ? {} : { workerData });
  keys.set(worker, key);
  return worker;
}

const keys = new WeakMap<Worker, string>();

/**
 * Ends a worker from startWorker: terminated, unless tests reuse workers and this one is
 * `healthy` (no failure, no task outstanding), in which case it is kept for the next run.
 */
export async function stopWorker(worker: Worker, { healthy }: { healthy: boolean }): Promise<void> {
  const key = keys.get(worker);
  removeListeners(worker);
  if (healthy && key !== undefined && reuseWorkers()) {
    const drop = () => {
      const list = idleWorkers.get(key) ?? [];
      idleWorkers.set(
        key,
        list.filter((w) => w !== worker),
      );
    };
    worker.on("error", drop);
    worker.on("exit", drop);
    worker.unref();
    idleWorkers.set(key, [...(idleWorkers.get(key) ?? []), worker]);
    return;
  }
  worker.on("error", () => undefined);
  await worker.terminate();
}

/**
 * The listeners users of a worker add; not removeAllListeners(), which would also remove the
 * Worker's own newListener/removeListener handlers that ref its message port.
 */
function removeListeners(worker: Worker): void {
  for (const event of ["message", "messageerror", "error", "exit", "online"]) {
    worker.removeAllListeners(event);
  }
}
