import { readFile, writeFile } from "node:fs/promises";

/**
 * TESTS ONLY: named points of the tool's writes where the crash and race tests stop a run, so
 * that a kill or a race lands exactly there instead of where timing happens to put it. Nothing
 * here changes what a run writes; unset (an operator's run), each point is one lookup.
 *
 * - `AZTEC_BUTLER_CRASH_TEST_KILL_AT=<point>`: SIGKILL this process at <point>.
 * - `AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING=<n>`: the same as `KILL_AT=placed-<n>`.
 * - `AZTEC_BUTLER_RACE_TEST_PAUSE_AT=<point>` with `AZTEC_BUTLER_RACE_TEST_PAUSE_FILE=<path>`:
 *   the first time this process reaches <point>, it writes its pid to <path> and waits until
 *   <path> is removed (at most PAUSE_MAX_MS, then it fails: a test that never lets go).
 *
 * The points (DEVELOPERS.md lists them too):
 * - `lock-acquired`: the scraper config's lock is held, nothing read under it yet;
 * - `lock-busy`: another run holds the lock, and this one is about to wait for it;
 * - `staged`: every temp file of a write is complete and fsynced, nothing is in place;
 * - `journal-written`: prepare-deployment's journal is in place, no file of the write yet;
 * - `linked-<n>`: the n-th new file is linked into place, its temp name not yet removed;
 * - `placed-<n>`: n files of the write are in place.
 */
export type TestPoint =
  | "lock-acquired"
  | "lock-busy"
  | "staged"
  | "journal-written"
  | `linked-${number}`
  | `placed-${number}`;

const PAUSE_POLL_MS = 10;
const PAUSE_MAX_MS = 60_000;
const pausedAt = new Set<string>();

export async function testPoint(point: TestPoint): Promise<void> {
  const env = process.env;
  if (
    env.AZTEC_BUTLER_CRASH_TEST_KILL_AT === point ||
    (env.AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING !== undefined &&
      `placed-${env.AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING}` === point)
  ) {
    process.kill(process.pid, "SIGKILL");
  }
  const pauseFile = env.AZTEC_BUTLER_RACE_TEST_PAUSE_FILE;
  if (env.AZTEC_BUTLER_RACE_TEST_PAUSE_AT !== point || !pauseFile || pausedAt.has(point)) return;
  pausedAt.add(point);
  await writeFile(pauseFile, `${process.pid}\n`);
  const deadline = Date.now() + PAUSE_MAX_MS;
  while (
    await readFile(pauseFile).then(
      () => true,
      () => false,
    )
  ) {
    if (Date.now() > deadline) throw new Error(`test pause at ${point} was never released`);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
  }
}
