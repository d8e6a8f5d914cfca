import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { OutputError, OutputExistsError, UsageError } from "../errors.js";

export interface PlannedWrite {
  /** Where the file goes. */
  path: string;
  /** The complete content. */
  content: string;
  /** Replace an existing file (scraper config, `--force`). Otherwise an existing file is an error. */
  overwrite?: boolean;
  /** Added to the "already exists" error, e.g. "pass --force to replace it". */
  hint?: string;
  /** Create the parent directory if missing (per-user data files on first use). */
  createParent?: boolean;
  /** The new file's permissions (default 0644, less the umask); 0600 for secrets. */
  mode?: number;
}

/** JSON as every file this tool writes it: 2-space indent and a final newline. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes one or more files so that a reader (or a crash) never sees a half-written file, and a
 * failure leaves the directory as it was.
 *
 * 1. Every target is checked first (no symlink; no existing file unless `overwrite`).
 * 2. Each content goes into a temp file in the target's directory and is fsynced.
 * 3. The temp files are moved into place: `link` for new files (fails instead of clobbering a
 *    file that appeared meanwhile), `rename` for overwrites, which are done last.
 * 4. If any step fails, temp files are removed and files already placed are removed again.
 */
export async function writeFilesAtomically(
  writes: readonly PlannedWrite[],
  hooks: WriteHooks = {},
): Promise<void> {
  for (const write of writes) await checkTarget(write);
  for (const directory of new Set(writes.map((w) => dirname(w.path)))) {
    await removeDeadProcessesTempFiles(directory);
  }

  const staged: { write: PlannedWrite; temp: string }[] = [];
  const placed: string[] = [];
  let current: string | undefined;
  try {
    for (const write of writes) {
      current = write.path;
      staged.push({ write, temp: await stageTempFile(write) });
    }
    await hooks.beforePlacing?.(staged.map(({ write, temp }) => ({ path: write.path, temp })));
    // New files first: they can be undone by unlinking. Overwrites last, since they can't.
    const ordered = [...staged].sort(
      (a, b) => Number(!!a.write.overwrite) - Number(!!b.write.overwrite),
    );
    for (const { write, temp } of ordered) {
      current = write.path;
      if (write.overwrite) {
        await rename(temp, write.path);
      } else {
        await link(temp, write.path);
        await unlink(temp);
      }
      placed.push(write.path);
      await fsyncDirectory(dirname(write.path));
      killForCrashTest(placed.length);
    }
  } catch (error) {
    await hooks.onFailure?.().catch(() => undefined);
    await Promise.all(staged.map(({ temp }) => unlink(temp).catch(() => undefined)));
    // Overwrites are last and a failed rename leaves the old file, so only new files need undoing.
    await Promise.all(
      placed
        .filter((path) => !writes.find((w) => w.path === path)?.overwrite)
        .map((path) => unlink(path).catch(() => undefined)),
    );
    if (error instanceof OutputError) throw error;
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new OutputExistsError(
        "cannot be written (a file of that name appeared meanwhile); nothing was written",
        { file: current },
      );
    }
    throw new OutputError(`cannot be written (${describeWriteError(error)}); nothing was written`, {
      file: current,
    });
  }
}

/**
 * Tests only: AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING=<n> kills this process with SIGKILL once
 * `n` files of a write are in place, the one point of a write that timing alone rarely hits.
 */
function killForCrashTest(placed: number): void {
  if (process.env.AZTEC_BUTLER_CRASH_TEST_KILL_AFTER_PLACING === String(placed)) {
    process.kill(process.pid, "SIGKILL");
  }
}

export interface WriteHooks {
  /** Every temp file is complete and fsynced; nothing is in place yet (a journal goes here). */
  beforePlacing?: (staged: readonly { path: string; temp: string }[]) => Promise<void>;
  /** The write failed; its temp files and new files are being removed. */
  onFailure?: () => Promise<void>;
}

/**
 * Temp files are `.<name>.<pid>.<12 hex>.tmp`: hidden, never matching a real output's name, and
 * carrying the pid of the process writing them, so that a later run can tell the leftovers of a
 * killed run (its pid no longer alive) from the temp files of a run still writing.
 */
const TEMP_FILE = /^\.(.+)\.([1-9][0-9]*)\.[0-9a-f]{12}\.tmp$/;

export function tempFileName(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

/** Whether a process of this pid is running (EPERM: it is, but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temp files of versions before the pid was in the name: `.<name>.<12 hex>.tmp`. */
const PIDLESS_TEMP_FILE = /^\.(.+)\.[0-9a-f]{12}\.tmp$/;
/** No write takes this long: a pid-less temp file older than this is a leftover. */
const PIDLESS_TEMP_MAX_AGE_MS = 10 * 60_000;

/** Removes this tool's temp files in `directory` whose process is gone. Returns their names. */
export async function removeDeadProcessesTempFiles(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_FILE.exec(name);
    if (match ? isProcessAlive(Number(match[2])) : !(await isOldPidlessTemp(directory, name)))
      continue;
    await unlink(join(directory, name)).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

async function isOldPidlessTemp(directory: string, name: string): Promise<boolean> {
  if (!PIDLESS_TEMP_FILE.test(name)) return false;
  const info = await lstat(join(directory, name)).catch(() => undefined);
  return Boolean(info?.isFile() && Date.now() - info.mtimeMs > PIDLESS_TEMP_MAX_AGE_MS);
}

export async function writeFileAtomically(write: PlannedWrite): Promise<void> {
  await writeFilesAtomically([write]);
}

/**
 * The `--output [--force]` check of commands that read a private-key file: the output is never
 * the input itself (not even with --force), and an existing file only with --force.
 */
export async function checkOutputOption(
  output: string,
  input: string,
  force: boolean | undefined,
): Promise<void> {
  if (resolve(output) === resolve(input)) {
    throw new OutputError("is the private-key file itself; choose another --output", {
      file: output,
    });
  }
  await checkWriteTargets([{ path: output, overwrite: force, hint: "pass --force to replace it" }]);
}

/**
 * Refuses an output that is one of the run's input files under another name (a hard link, a
 * symlinked folder, `dir/../file`): compared by file identity (device and inode), not by path,
 * and refused whatever `--force` says. Outputs that do not exist yet cannot be an input.
 */
export async function checkOutputsAreNotInputs(
  outputs: readonly string[],
  inputs: readonly string[],
): Promise<void> {
  const identity = async (path: string) => {
    const info = await stat(path).catch(() => undefined);
    return info && `${info.dev}:${info.ino}`;
  };
  const inputIds = new Map<string, string>();
  for (const input of inputs) {
    const id = await identity(input);
    if (id !== undefined && !inputIds.has(id)) inputIds.set(id, input);
  }
  for (const output of outputs) {
    const input = inputIds.get((await identity(output)) ?? "");
    if (input !== undefined) {
      throw new UsageError(`is the input file ${input} itself; choose another output`, {
        file: output,
      });
    }
  }
}

/** Fails early, before any work, when a planned write would be refused later. */
export async function checkWriteTargets(
  writes: readonly Pick<PlannedWrite, "path" | "overwrite" | "hint" | "createParent">[],
): Promise<void> {
  for (const write of writes) await checkTarget(write);
}

async function checkTarget({
  path,
  overwrite,
  hint,
  createParent,
}: Pick<PlannedWrite, "path" | "overwrite" | "hint" | "createParent">): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new OutputError(`cannot be checked (${describeWriteError(error)})`, { file: path });
    }
    // Free. Its directory must exist (unless the write creates it), or the write would fail
    // only after all the chain work.
    if (!createParent) {
      const parent = await stat(dirname(path)).catch(() => undefined);
      if (!parent?.isDirectory())
        throw new OutputError(
          "cannot be written (its directory does not exist); nothing was written",
          { file: path },
        );
    }
    return;
  }
  if (info.isSymbolicLink()) {
    throw new OutputError("is a symbolic link; refusing to write through it", { file: path });
  }
  if (info.isDirectory()) throw new OutputError("is a directory", { file: path });
  // A FIFO, a device or a socket is never replaced by a file, whatever `overwrite` says.
  if (!info.isFile()) {
    throw new OutputError(
      "is not a regular file (a FIFO, a device or a socket); refusing to replace it",
      {
        file: path,
      },
    );
  }
  if (!overwrite)
    throw new OutputExistsError(
      `already exists; refusing to overwrite it${hint ? ` (${hint})` : ""}`,
      {
        file: path,
      },
    );
}

async function stageTempFile({ path, content, createParent, mode }: PlannedWrite): Promise<string> {
  if (createParent) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = tempFileName(path);
  const handle = await open(temp, "wx", mode ?? 0o644);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } catch (error) {
    // Not yet in the caller's list of staged files, so it would be left behind.
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    await handle.close();
  }
  return temp;
}

async function fsyncDirectory(directory: string): Promise<void> {
  // Makes the rename durable; some filesystems don't support fsync on a directory handle.
  const handle = await open(directory, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "permission denied or read-only";
    case "ENOENT":
      return "its directory does not exist";
    case "ENOTDIR":
      return "a part of its path is a file, not a directory";
    case "ENOSPC":
      return "no space left on device";
    case "EEXIST":
      return "a file of that name appeared meanwhile";
    default:
      return code ?? String((error as Error).message ?? error);
  }
}

/**
 * `<base>.new`, or `.new2`, `.new3`, … when taken (a symlink counts as taken): the first name
 * free for every one of `prefixes` (high availability writes `A_`, `B_`, … with one suffix).
 */
export async function firstFreeSuffix(
  directory: string,
  names: readonly string[],
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const suffix = attempt === 1 ? ".new" : `.new${attempt}`;
    const taken = await Promise.all(
      names.map((name) => exists(join(directory, `${name}${suffix}`))),
    );
    if (!taken.some(Boolean)) return suffix;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
