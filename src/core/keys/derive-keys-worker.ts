// Worker thread entry, bundled by esbuild into dist/derive-keys-worker.js (see workerEntryUrl).
// Started with DerivationWorkerData: loads those libraries right away (Barretenberg's WebAssembly
// for "bls"), so that the first task does not wait for it, and says "ready" once they are loaded.
// Then answers each TaskMessage with its results (derivation-protocol.ts).
import { parentPort, workerData } from "node:worker_threads";
import type { Hex } from "../../types/primitives.js";
import {
  createBlsKeystores,
  decryptBlsKeystores,
  deriveBlsPublicKeys,
  deriveEthAddresses,
} from "./derive-keys.js";
import type {
  DerivationWorkerData,
  TaskItem,
  TaskKind,
  TaskMessage,
  TaskResult,
  WorkerMessage,
} from "./derivation-protocol.js";

// @aztec/foundation's logger, loaded with its BN254 code, starts a thread of its own for pino's
// transport in every process or worker that imports it, unless it believes it runs under jest
// (then it writes to fd 2 synchronously; pino-logger.js's makeLogger). This worker logs nothing:
// it gets the synchronous logger. That thread cost each worker about 60 ms of CPU, and bundled
// (scripts/build.mjs) the transport could not even find its own files. (A worker thread has its
// own copy of process.env; this module's body runs before foundation is imported.)
process.env.JEST_WORKER_ID ??= "aztec-butler derivation worker: no pino transport thread";

const derivers: { [K in TaskKind]: (items: TaskItem<K>[]) => Promise<TaskResult<K>[]> } = {
  eth: deriveEthAddresses,
  bls: deriveBlsPublicKeys,
  "bls-keystore-decrypt": decryptBlsKeystores,
  "bls-keystore-create": createBlsKeystores,
};
/** A valid private key on both curves, derived once to load and initialise each library. */
const WARM_UP_KEY: Hex = `0x${"0".repeat(63)}1`;

const post = (message: WorkerMessage) => parentPort?.postMessage(message);

const { warmUp = [] } = (workerData ?? {}) as Partial<DerivationWorkerData>;
// A failing warm-up is left to the first task, which fails the same way and is reported.
void Promise.all(warmUp.map((kind) => derivers[kind]([WARM_UP_KEY]).catch(() => undefined))).then(
  () => post({ type: "ready" }),
);

parentPort?.on("message", async (task: TaskMessage) => {
  const derive = derivers[task.kind] as (items: unknown[]) => Promise<unknown[]>;
  const results = await derive(task.items);
  post({ type: "done", kind: task.kind, start: task.start, results } as WorkerMessage);
});
