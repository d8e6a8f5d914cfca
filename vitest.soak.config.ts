import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * `npm run test:soak`: the randomized, longer versions of the crash and race tests (kills at
 * random moments of 2,000-key runs, 8 runs at once), which `npm test` proves deterministically
 * at the tool's named test points. Minutes, not seconds: run it before a release or after
 * changing a write path, not on every change.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ["tests/soak/**/*.soak.test.ts"],
    exclude: [],
    testTimeout: 600_000,
  },
});
