import { existsSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./files.js";

/**
 * A run told to pause at one of the tool's named test points (src/core/files/test-points.ts):
 * pass `env` to the run, `await reached()` for it to get there, then `release()` it. The race
 * tests force their interleaving with it instead of hoping timing produces it.
 */
export interface Pause {
  env: Record<string, string>;
  /** Resolves with the paused run's pid once it is at the point (fails after `timeoutMs`). */
  reached(timeoutMs?: number): Promise<number>;
  release(): void;
}

export function pauseAt(point: string): Pause {
  const file = join(tempDir("butler-pause-"), "paused");
  return {
    env: { AZTEC_BUTLER_RACE_TEST_PAUSE_AT: point, AZTEC_BUTLER_RACE_TEST_PAUSE_FILE: file },
    async reached(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = existsSync(file) ? readFileSync(file, "utf8") : "";
        if (text.endsWith("\n")) return Number(text.trim());
        if (Date.now() > deadline) throw new Error(`the run never reached the test point ${point}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    release() {
      unlinkSync(file);
    },
  };
}

/** A run SIGKILLed at `point` (AZTEC_BUTLER_CRASH_TEST_KILL_AT). */
export const killAt = (point: string) => ({ AZTEC_BUTLER_CRASH_TEST_KILL_AT: point });

/** Temp files, locks, lock breakers and journals anywhere under these directories. */
export function leftovers(...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.tmp$|\.lock$|\.lock\.break$|\.journal$/.test(entry.name)) found.push(entry.name);
    }
  };
  dirs.forEach(walk);
  return found.sort();
}
