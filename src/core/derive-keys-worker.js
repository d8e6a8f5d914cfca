// Worker thread entry (plain JavaScript: workers start without the TypeScript loader).
import { parentPort, workerData } from "node:worker_threads";
import { deriveAttesterPublicKeysInThread } from "./derive-keys.js";

const result = await deriveAttesterPublicKeysInThread(workerData, (done) =>
  parentPort?.postMessage({ progress: done }),
);
parentPort?.postMessage({ result });
