// Worker thread entry, bundled by esbuild into dist/derive-keys-worker.js (see workerEntryUrl).
// Started with workerData {warmUp: ["eth"] | ["bls", "eth"]}: loads those derivations right away
// (Barretenberg's WebAssembly for bls), so that the first task does not wait for it. Then
// receives {kind, start, keys} tasks (kind: a key of `derivers`) and answers {kind, start, derived}
// for each.
import { parentPort, workerData } from "node:worker_threads";
import type { Hex } from "../../types/primitives.js";
import {
  createBlsKeystores,
  decryptBlsKeystores,
  deriveBlsPublicKeys,
  deriveEthAddresses,
} from "./derive-keys.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own item type
const derivers: Record<string, (items: readonly any[]) => Promise<unknown[]>> = {
  eth: deriveEthAddresses,
  bls: deriveBlsPublicKeys,
  // EIP-2335 BN254 keystores: {keystore, password} → {key, pubkey} | {error}; {key, pubkey,
  // password} → keystore.
  "bls-keystore-decrypt": decryptBlsKeystores,
  "bls-keystore-create": createBlsKeystores,
};
type DerivationKind = keyof typeof derivers;
/** A valid private key on both curves, derived once to load and initialise each library. */
const WARM_UP_KEY: Hex = `0x${"0".repeat(63)}1`;

const warmUpKinds = ((workerData ?? {}) as { warmUp?: DerivationKind[] }).warmUp ?? [];
// A failing warm-up is left to the first task, which fails the same way and is reported.
for (const kind of warmUpKinds) derivers[kind]!([WARM_UP_KEY]).catch(() => undefined);

parentPort?.on(
  "message",
  async (task: { kind: DerivationKind; start: number; keys: unknown[] }) => {
    const derived = await derivers[task.kind]!(task.keys);
    parentPort?.postMessage({ kind: task.kind, start: task.start, derived });
  },
);
