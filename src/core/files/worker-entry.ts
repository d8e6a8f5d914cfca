import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * The file a worker thread runs: dist/<name>.js, the worker's esbuild bundle. In the bundled CLI
 * this module is part of dist/cli.js, so the worker sits beside it; run from src/ (vitest, tsx)
 * it is the same dist/ file, which tests/global-setup.ts builds first — a worker thread cannot
 * load TypeScript without a loader, and the bundle starts faster than Node resolving viem.
 */
export function workerEntryUrl(name: "derive-keys-worker" | "node-keystore-check-worker"): URL {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = new URL(fromSource ? `../../../dist/${name}.js` : `./${name}.js`, import.meta.url);
  if (fromSource && !existsSync(url)) {
    throw new Error(`${fileURLToPath(url)} is missing; run \`npm run build\` first`);
  }
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

/** A worker thread running dist/<name>.js (one kept warm by an earlier run, in tests only). */
export function startWorker(name: WorkerName, workerData?: unknown): Worker {
  const key = `${name} ${JSON.stringify(workerData ?? null)}`;
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
