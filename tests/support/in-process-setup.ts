/**
 * vitest's setupFiles (vitest.config.ts), in the test processes only: the runs made in-process
 * (runInProcess) hand their worker threads on to the next run instead of starting fresh ones,
 * which load Barretenberg or the node's keystore code again (src/core/files/worker-entry.ts).
 * The runs the tests spawn start their own workers, as an operator's run does.
 */
(globalThis as Record<symbol, unknown>)[Symbol.for("aztec-butler.test-only.reuse-workers")] = true;
