import { InputError, type ErrorLocation } from "../errors.js";
import { prestartWorker, startWorker, stopWorker } from "./worker-entry.js";

/** Where a problem at a path of the checked content is to be fixed (the file, validator and field shown). */
export type LocateIssue = (path: readonly PropertyKey[]) => ErrorLocation;

interface Problem {
  message: string;
  path: PropertyKey[];
}

type WorkerAnswer = { problems: (Problem | undefined)[] } | { failure: string };

/**
 * Starts the worker a NodeKeystoreCheck made later in the run takes over: Aztec's keystore code
 * loads while the command itself does.
 */
export function prestartNodeKeystoreCheck(): void {
  prestartWorker("node-keystore-check-worker");
}

/**
 * Refuses to write key files the node would reject: each content is checked with Aztec's own
 * keystore schema (@aztec/node-keystore, the node's loader) and its KeystoreManager (duplicate
 * attesters, a signer for every attester and publisher).
 *
 * The check runs on a worker thread (node-keystore-check-worker.ts), started as soon as this
 * exists so that it loads the node's code while the command reads its inputs. Async-disposable:
 * `await using nodeCheck = new NodeKeystoreCheck()` ends the worker when the command's scope does,
 * however it ends.
 */
export class NodeKeystoreCheck implements AsyncDisposable {
  private readonly worker = startWorker("node-keystore-check-worker");
  private failure: Error | undefined;
  /** A check is waiting for the worker's answer. */
  private pending = false;

  constructor() {
    // Until check() listens, a failing worker must not crash the process; check() reports it.
    this.worker.on("error", (error) => (this.failure ??= error));
    this.worker.on(
      "exit",
      (code) => (this.failure ??= new Error(`node keystore check worker exited (${code})`)),
    );
  }

  /**
   * Throws an InputError for the first of `contents` the node would reject, placed by `locate` in
   * the input the operator has to fix (the output files are not written yet).
   */
  async refuseWhatTheNodeRejects(contents: readonly unknown[], locate: LocateIssue): Promise<void> {
    this.pending = true;
    const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.worker.once("message", resolve);
      this.worker.once("error", reject);
      this.worker.once("exit", () => reject(this.failure));
      this.worker.postMessage({ contents });
    });
    this.pending = false;
    if ("failure" in answer) throw new Error(`node keystore check failed: ${answer.failure}`);
    for (const problem of answer.problems) {
      if (problem)
        throw new InputError("NODE_REJECTS_KEY_FILE", problem.message, locate(problem.path));
    }
  }

  /** Ends the worker; never throws (the command's own error, if any, is what gets reported). */
  async [Symbol.asyncDispose](): Promise<void> {
    await stopWorker(this.worker, { healthy: !this.failure && !this.pending }).catch(
      () => undefined,
    );
  }
}
