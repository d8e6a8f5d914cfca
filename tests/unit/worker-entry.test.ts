import { describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import {
  prestartWorker,
  releasePrestartedWorkers,
  startWorker,
  stopWorker,
} from "../../src/core/files/worker-entry.js";

/** A warm-up the tests' other workers never ask for, so no earlier run's idle worker matches. */
const WORKER_DATA = { warmUp: [], testOnly: "worker-entry.test" };

describe("prestartWorker", () => {
  it("starts one worker per call, each handed out once, then new ones", async () => {
    const workers: Worker[] = [];
    try {
      prestartWorker("derive-keys-worker", WORKER_DATA);
      prestartWorker("derive-keys-worker", WORKER_DATA);
      // A worker started after both: the prestarted ones have lower thread ids than it.
      const marker = startWorker("derive-keys-worker", { ...WORKER_DATA, testOnly: "marker" });
      workers.push(marker);
      const taken = [
        startWorker("derive-keys-worker", WORKER_DATA),
        startWorker("derive-keys-worker", WORKER_DATA),
      ];
      const later = startWorker("derive-keys-worker", WORKER_DATA);
      workers.push(...taken, later);
      expect(new Set(workers).size).toBe(4);
      for (const worker of taken) expect(worker.threadId).toBeLessThan(marker.threadId);
      expect(later.threadId).toBeGreaterThan(marker.threadId);
      // Each says "ready" (its replayed early message for the prestarted ones).
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) =>
              worker.on("message", (m: { type: string }) => m.type === "ready" && resolve()),
            ),
        ),
      );
    } finally {
      await Promise.all(workers.map((worker) => stopWorker(worker, { healthy: false })));
      await releasePrestartedWorkers();
    }
  });
});
