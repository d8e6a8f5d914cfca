/**
 * vitest's setupFiles (vitest.config.ts), in the test processes only: the runs made in-process
 * (runInProcess) hand their worker threads on to the next run instead of starting fresh ones,
 * which load Barretenberg or the node's keystore code again (src/core/files/worker-entry.ts).
 * The runs the tests spawn start their own workers, as an operator's run does.
 */
(globalThis as Record<symbol, unknown>)[Symbol.for("aztec-butler.test-only.reuse-workers")] = true;

/**
 * And a failing node is retried after 10 ms, then 20 ms, rather than 250 and 500 ms
 * (src/core/chain/client.ts): the fault tests count retries and check Retry-After, which is kept;
 * spawned runs wait the real backoff (tests/faults/untrusted-rpc.test.ts measures it at the proxy).
 */
(globalThis as Record<symbol, unknown>)[Symbol.for("aztec-butler.test-only.retry-base-delay-ms")] =
  10;
