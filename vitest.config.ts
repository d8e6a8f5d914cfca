import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/global-setup.ts"],
    // Two cores here: each chain test file runs its own anvil, so cap parallel files at two.
    pool: "forks",
    // Test files of one fork share loaded modules (viem, the CLI's sources): each file no longer
    // re-imports them. Files keep their state in their own module scope and stop what they start
    // (anvil, proxies) in afterAll; runInProcess restores cwd and env after every run.
    isolate: false,
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
