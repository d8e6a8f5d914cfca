// Worker thread entry (plain JavaScript: workers start without the TypeScript loader).
// Receives {kind: "eth" | "bls", start, keys} tasks, answers {kind, start, derived} for each.
import { parentPort } from "node:worker_threads";
import { deriveBlsPublicKeys, deriveEthAddresses } from "./derive-keys.js";

parentPort?.on(
  "message",
  async (/** @type {{kind: "eth" | "bls", start: number, keys: `0x${string}`[]}} */ task) => {
    const derived =
      task.kind === "eth"
        ? await deriveEthAddresses(task.keys)
        : await deriveBlsPublicKeys(task.keys);
    parentPort?.postMessage({ kind: task.kind, start: task.start, derived });
  },
);
