// Worker thread entry (plain JavaScript: workers start without the TypeScript loader).
// Started with workerData {warmUp: ["eth"] | ["bls", "eth"]}: loads those derivations right away
// (Barretenberg's WebAssembly for bls), so that the first task does not wait for it. Then
// receives {kind, start, keys} tasks (kind: a key of `derivers`) and answers {kind, start, derived} for each.
import { parentPort, workerData } from "node:worker_threads";
import {
  createBlsKeystores,
  decryptBlsKeystores,
  deriveBlsPublicKeys,
  deriveEthAddresses,
} from "./derive-keys.js";

const derivers = {
  eth: deriveEthAddresses,
  bls: deriveBlsPublicKeys,
  // EIP-2335 BN254 keystores: {keystore, password} → {key, pubkey} | {error}; {key, pubkey,
  // password} → keystore.
  "bls-keystore-decrypt": decryptBlsKeystores,
  "bls-keystore-create": createBlsKeystores,
};
/** A valid private key on both curves, derived once to load and initialise each library. */
const WARM_UP_KEY = `0x${"0".repeat(63)}1`;

const warmUpKinds = /** @type {{warmUp?: ("eth" | "bls")[]}} */ (workerData ?? {}).warmUp ?? [];
// A failing warm-up is left to the first task, which fails the same way and is reported.
for (const kind of warmUpKinds) derivers[kind]([WARM_UP_KEY]).catch(() => undefined);

parentPort?.on(
  "message",
  async (/** @type {{kind: keyof typeof derivers, start: number, keys: any[]}} */ task) => {
    const derived = await derivers[task.kind](task.keys);
    parentPort?.postMessage({ kind: task.kind, start: task.start, derived });
  },
);
