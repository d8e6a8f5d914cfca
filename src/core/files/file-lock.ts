import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { OutputError } from "../errors.js";
import { isProcessAlive } from "./safe-write.js";
import { testPoint } from "./test-points.js";

/** How long a run waits for another run's lock before giving up. */
const LOCK_WAIT_MS = 60_000;
const RETRY_MS = 25;
/** A lock file still empty after this long belongs to a process killed while creating it. */
const EMPTY_LOCK_STALE_MS = 5_000;

/**
 * Runs `critical` holding an exclusive lock on `path`: the file `<path>.lock`, created with
 * O_EXCL and holding the owner's pid. Another run waits for it (up to a minute); a lock whose
 * process is gone (killed with kill -9, a crash) is recovered. Breaking a stale lock is itself
 * serialized by `<path>.lock.break`, so two waiters cannot both break it and then both hold it.
 */
export async function withFileLock<T>(
  path: string,
  critical: () => Promise<T>,
  { createParent = false }: { createParent?: boolean } = {},
): Promise<T> {
  const lock = `${path}.lock`;
  if (createParent) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await acquire(lock);
  try {
    return await critical();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (await tryCreate(lock)) return;
    const owner = await ownerOf(lock);
    if (typeof owner === "number" && owner !== 0) await testPoint("lock-busy");
    if (owner === "stale") await breakStaleLock(lock);
    else if (Date.now() > deadline) {
      throw new OutputError(
        "LOCKED",
        `is locked by another aztec-butler run (process ${owner}) for more than ${LOCK_WAIT_MS / 1000} s; ` +
          "nothing was written",
        { file: lock },
      );
    } else await sleep(RETRY_MS + Math.random() * RETRY_MS);
  }
}

async function tryCreate(lock: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lock, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new OutputError(
      "LOCK_FAILED",
      `cannot be created (${(error as NodeJS.ErrnoException).code})`,
      { file: lock },
      { cause: error },
    );
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** The pid holding the lock, "stale" when that process is gone, "gone" when the lock is. */
async function ownerOf(lock: string): Promise<number | "stale" | "gone"> {
  const text = await readFile(lock, "utf8").catch(() => undefined);
  if (text === undefined) return "gone";
  const pid = Number(text.trim());
  if (text.trim() === "" || !Number.isSafeInteger(pid) || pid <= 0) {
    // Killed between creating the file and writing its pid, or not ours: judge by its age.
    const info = await stat(lock).catch(() => undefined);
    if (!info) return "gone";
    return Date.now() - info.mtimeMs > EMPTY_LOCK_STALE_MS ? "stale" : 0;
  }
  return isProcessAlive(pid) ? pid : "stale";
}

async function breakStaleLock(lock: string): Promise<void> {
  const breaker = `${lock}.break`;
  if (!(await tryCreate(breaker))) {
    // Another waiter is breaking it; a breaker left by a killed waiter is broken in turn.
    if ((await ownerOf(breaker)) === "stale") await unlink(breaker).catch(() => undefined);
    await sleep(RETRY_MS);
    return;
  }
  try {
    // Still stale now that no one else can break it (not already replaced by a live owner)?
    if ((await ownerOf(lock)) === "stale") await unlink(lock).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
