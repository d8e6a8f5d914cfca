import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { InputError, type InputErrorCode } from "../errors.js";
import { startWorker, stopWorker } from "../files/worker-entry.js";
import type { PrivateKeyValidator } from "../../types/private-key-file.js";
import {
  ADDRESS_MESSAGES,
  BN254_FR_MODULUS,
  addressProblem,
  aztecAddressProblem,
  type Hex,
} from "../../types/primitives.js";

/** secp256k1 group order n: an eth private key must be in [1, n). */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const PRIVATE_KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;

export type PrivateKeyKind = "eth" | "bls";

/**
 * Why a private key is unusable, or undefined when it is fine. Never includes the key itself:
 * the result goes into error messages.
 */
export function privateKeyProblem(value: unknown, kind: PrivateKeyKind): string | undefined {
  if (typeof value !== "string") return "must be a private key string";
  if (!PRIVATE_KEY_PATTERN.test(value)) {
    return `is not a private key: must be 0x followed by 64 hex digits (got ${describeShape(value)})`;
  }
  const scalar = BigInt(value);
  if (scalar === 0n) return "is zero, which is not a valid private key";
  if (kind === "eth" && scalar >= SECP256K1_ORDER) {
    return "is not below the secp256k1 group order, so it is not a valid eth private key";
  }
  // A BLS private key must be in [1, r): computeBn254G1PublicKeyCompressed silently reduces
  // modulo r, so a key ≥ r would yield the public key of a *different* secret.
  if (kind === "bls" && scalar >= BN254_FR_MODULUS) {
    return "is not below the BN254 scalar field order, so it is not a valid BLS private key";
  }
  return undefined;
}

/** The shape of a malformed key without its content: its length and whether it has 0x. */
function describeShape(value: string): string {
  const body = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  const hex = /^[0-9a-fA-F]*$/.test(body);
  return `${value.length} characters${value.startsWith("0x") ? "" : ", no 0x prefix"}${hex ? "" : ", not all hex"}`;
}

/**
 * Checks every key of a private-key file before anything is derived or written: each attester
 * and publisher key is well-formed and in range, no attester key appears twice (as eth or bls
 * key, of any validator), feeRecipient and coinbase have the right shape. Throws at the first
 * problem, naming file, validator and field.
 */
export function refuseUnusablePrivateKeys(
  file: string,
  validators: readonly PrivateKeyValidator[],
): void {
  const seen = new Map<string, { index: number; field: string }>();
  validators.forEach((validator, index) => {
    const fail = (code: InputErrorCode, field: string, message: string): never => {
      throw new InputError(code, message, { file, index, field });
    };
    for (const kind of ["eth", "bls"] as const) {
      const field = `attester.${kind}`;
      const key = validator.attester[kind];
      const problem = privateKeyProblem(key, kind);
      if (problem) fail("INVALID_PRIVATE_KEY", field, problem);
      // One secret per slot: the same value as another attester's eth or bls key (or as this
      // attester's other key) is refused too, since reusing a secret across curves or validators
      // ties their safety together.
      const normalized = key.toLowerCase();
      const earlier = seen.get(normalized);
      if (earlier) {
        fail(
          "DUPLICATE_PRIVATE_KEY",
          field,
          `is the same private key as validator ${earlier.index}'s ${earlier.field}`,
        );
      }
      seen.set(normalized, { index, field });
    }
    const publishers = Array.isArray(validator.publisher)
      ? validator.publisher
      : [validator.publisher];
    publishers.forEach((key, i) => {
      // A publisher keystore was checked for shape when read (its key is never used).
      if (typeof key !== "string") return;
      const problem = privateKeyProblem(key, "eth");
      if (problem)
        fail(
          "INVALID_PRIVATE_KEY",
          Array.isArray(validator.publisher) ? `publisher[${i}]` : "publisher",
          problem,
        );
    });
    const feeRecipientProblem = aztecAddressProblem(validator.feeRecipient);
    if (feeRecipientProblem) fail("INVALID_ADDRESS", "feeRecipient", feeRecipientProblem);
    const coinbaseProblem =
      validator.coinbase === undefined ? undefined : addressProblem(validator.coinbase);
    if (coinbaseProblem) fail("INVALID_ADDRESS", "coinbase", ADDRESS_MESSAGES[coinbaseProblem]);
  });
}

export interface AttesterPrivateKeys {
  eth: Hex;
  bls: Hex;
}

export interface AttesterPublicKeys {
  /** Checksummed L1 address of the eth key. */
  eth: Hex;
  /** Compressed BN254 G1 public key of the bls key (32 bytes). */
  bls: Hex;
}

/** Below this many keys per worker, another worker thread costs more than it saves. */
const KEYS_PER_WORKER_MINIMUM = 256;
/** Keys per task handed to a worker: small enough that the workers finish together. */
const KEYS_PER_TASK = 250;

type DerivationKind = "eth" | "bls";
type KeystoreTaskKind = "bls-keystore-decrypt" | "bls-keystore-create";
/** pbkdf2 (c=262144) costs about 50 ms: a few per task keep every worker busy to the end. */
const KEYSTORES_PER_TASK = 4;

/**
 * Worker threads that derive attester public keys (viem for eth, computeBn254G1PublicKeyCompressed
 * for bls): one per core (at most 4), fewer for small sets, always at least one. The main thread
 * never loads @aztec/foundation, so it stays free for the chain reads that run meanwhile.
 *
 * The workers start loading their libraries as soon as the pool exists, so a command can start
 * it first and check its inputs and the chain while they warm up. Loading Barretenberg costs a
 * thread about half a second of CPU and its own WebAssembly memory, so only half of the workers
 * (rounded up) derive BLS keys, taking those tasks first; the others derive only eth addresses
 * and never load it. The work is a queue of tasks of KEYS_PER_TASK keys of one kind, which idle
 * workers take in turn.
 *
 * Always close() the pool (in a finally): workers are terminated rather than left to exit, which
 * would wait for the logger thread @aztec/foundation starts.
 */
export class KeyDerivationPool {
  private readonly workers: PoolWorker[];

  constructor(keyCount: number) {
    const workerCount = Math.max(
      1,
      Math.min(4, availableParallelism(), Math.floor(keyCount / KEYS_PER_WORKER_MINIMUM)),
    );
    const blsWorkerCount = Math.ceil(workerCount / 2);
    this.workers = Array.from({ length: workerCount }, (_, w) => {
      const kinds: DerivationKind[] = w < blsWorkerCount ? ["bls", "eth"] : ["eth"];
      const worker = startWorker("derive-keys-worker", { warmUp: kinds });
      const entry: PoolWorker = { worker, kinds, outstanding: 0 };
      // Listening from the start: a worker that fails before derive() is reported by derive().
      worker.on("message", (message: DerivedMessage) => {
        entry.outstanding--;
        entry.onMessage?.(message);
      });
      worker.on("error", (error) => {
        entry.failure ??= error;
        entry.onFailure?.(error);
      });
      worker.on("exit", (code) => {
        const failure = new Error(
          `key derivation worker exited with code ${code} before its work was done`,
        );
        entry.failure ??= failure;
        entry.onFailure?.(failure);
      });
      return entry;
    });
  }

  /** Public keys of every attester, in input order. Keys must have passed refuseUnusablePrivateKeys. */
  async derive(
    keys: readonly AttesterPrivateKeys[],
    onProgress?: (done: number) => void,
  ): Promise<AttesterPublicKeys[]> {
    if (keys.length === 0) return [];
    const starts = Array.from(
      { length: Math.ceil(keys.length / KEYS_PER_TASK) },
      (_, i) => i * KEYS_PER_TASK,
    );
    const pending: Record<DerivationKind, number[]> = { eth: [...starts], bls: [...starts] };
    const derived: Record<DerivationKind, Hex[]> = {
      eth: new Array(keys.length),
      bls: new Array(keys.length),
    };
    let derivedCount = 0;
    await Promise.all(
      this.workers.map(
        (entry) =>
          new Promise<void>((resolve, reject) => {
            if (entry.failure) return reject(entry.failure);
            let finished = false;
            const next = () => {
              const kind = entry.kinds.find((k) => pending[k].length > 0);
              if (kind === undefined) {
                finished = true;
                resolve();
                return;
              }
              const start = pending[kind].shift()!;
              const chunk = keys.slice(start, start + KEYS_PER_TASK).map((key) => key[kind]);
              entry.outstanding++;
              entry.worker.postMessage({ kind, start, keys: chunk });
            };
            entry.onMessage = (message) => {
              message.derived.forEach(
                (value, i) =>
                  (derived[message.kind as DerivationKind][message.start + i] = value as Hex),
              );
              derivedCount += message.derived.length;
              onProgress?.(Math.floor(derivedCount / 2));
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
    );
    return keys.map((_, i) => ({ eth: derived.eth[i]!, bls: derived.bls[i]! }));
  }

  /**
   * Decrypts EIP-2335 BN254 keystores on the workers that load Barretenberg, and derives each
   * key's public key (to check against the keystore's `pubkey`). Results in input order; a
   * keystore that fails to decrypt gives `{error}`.
   */
  decryptBlsKeystores(
    items: readonly { keystore: unknown; password: string }[],
    onProgress?: (done: number) => void,
  ): Promise<({ key: Hex; pubkey: Hex } | { error: string })[]> {
    return this.runOnBlsWorkers("bls-keystore-decrypt", items, onProgress);
  }

  /** EIP-2335 BN254 keystores (Aztec's format) of the given BLS keys, in input order. */
  createBlsKeystores(
    items: readonly { key: Hex; pubkey: Hex; password: string }[],
    onProgress?: (done: number) => void,
  ): Promise<unknown[]> {
    return this.runOnBlsWorkers("bls-keystore-create", items, onProgress);
  }

  /**
   * Runs one pbkdf2-bound task kind over `items`, KEYSTORES_PER_TASK at a time, on the workers
   * that derive BLS keys. Not concurrently with derive() (they share the workers' handlers).
   */
  private async runOnBlsWorkers<I, R>(
    kind: KeystoreTaskKind,
    items: readonly I[],
    onProgress?: (done: number) => void,
  ): Promise<R[]> {
    const results: R[] = new Array(items.length);
    const pending = Array.from(
      { length: Math.ceil(items.length / KEYSTORES_PER_TASK) },
      (_, i) => i * KEYSTORES_PER_TASK,
    );
    let done = 0;
    await Promise.all(
      this.workers
        .filter((entry) => entry.kinds.includes("bls"))
        .map(
          (entry) =>
            new Promise<void>((resolve, reject) => {
              if (entry.failure) return reject(entry.failure);
              let finished = false;
              const next = () => {
                const start = pending.shift();
                if (start === undefined) {
                  finished = true;
                  resolve();
                  return;
                }
                entry.outstanding++;
                entry.worker.postMessage({
                  kind,
                  start,
                  keys: items.slice(start, start + KEYSTORES_PER_TASK),
                });
              };
              entry.onMessage = (message) => {
                message.derived.forEach(
                  (value, i) => (results[message.start + i] = value as unknown as R),
                );
                done += message.derived.length;
                onProgress?.(done);
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
    );
    return results;
  }

  async close(): Promise<void> {
    for (const entry of this.workers) entry.onFailure = undefined;
    await Promise.all(
      this.workers.map((entry) =>
        stopWorker(entry.worker, { healthy: !entry.failure && entry.outstanding === 0 }),
      ),
    );
  }
}

interface DerivedMessage {
  kind: DerivationKind | KeystoreTaskKind;
  start: number;
  derived: (Hex | object)[];
}

interface PoolWorker {
  worker: Worker;
  kinds: DerivationKind[];
  /** Tasks posted and not answered yet. */
  outstanding: number;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  /** The running derive()'s handlers. */
  onMessage?: (message: DerivedMessage) => void;
  onFailure?: (error: Error) => void;
}

/** The attester keys of each (checked) validator, in file order, as the derivation takes them. */
export function privateKeysOf(
  validators: readonly { attester: { eth: string; bls: string } }[],
): AttesterPrivateKeys[] {
  return validators.map((v) => ({ eth: v.attester.eth as Hex, bls: v.attester.bls as Hex }));
}
