import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The unit tests first (they need no chain: they run while a cold cache's Aztec L1 is deployed,
 * tests/global-setup.ts), then vitest's own order (failed, then longest, first).
 */
class UnitTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const unit = (file: TestSpecification) => file.moduleId.includes("/tests/unit/");
    return [...sorted.filter(unit), ...sorted.filter((file) => !unit(file))];
  }
}

/** Absolute: workers started while runInProcess has changed the cwd inherit it too. */
const cheapKdfPreload = fileURLToPath(
  new URL("./tests/support/test-only-cheap-kdf.mjs", import.meta.url),
);

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The randomized soaks run with `npm run test:soak` (vitest.soak.config.ts), not here.
    exclude: ["**/node_modules/**", "tests/soak/**"],
    globalSetup: ["tests/global-setup.ts"],
    sequence: { sequencer: UnitTestsFirst },
    // In-process runs keep their worker threads warm for the next run (tests only).
    setupFiles: ["tests/support/in-process-setup.ts"],
    // Two cores here: each chain test file runs its own anvil, so cap parallel files at two.
    pool: "forks",
    // Test files of one fork share loaded modules (viem, the CLI's sources): each file no longer
    // re-imports them. Files keep their state in their own module scope and stop what they start
    // (anvil, proxies) in afterAll; runInProcess restores cwd and env after every run.
    isolate: false,
    poolOptions: {
      forks: {
        maxForks: 2,
        minForks: 1,
        // Keystores written in-process (and by the worker threads, which inherit it) use cheap
        // KDF parameters: tests/support/test-only-cheap-kdf.mjs, src/core/keys/keystore-kdf.ts.
        execArgv: ["--import", cheapKdfPreload],
      },
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
