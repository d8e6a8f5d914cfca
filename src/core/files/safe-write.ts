import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { OutputError, OutputExistsError } from "../errors.js";
import { refuseOutputsThatAreInputs } from "./file-identity.js";
import { journaledTempFiles } from "./journal.js";
import { testPoint } from "./test-points.js";

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
  /**
   * The file is read by this run and updated in place (scraper config, event cache): reading it
   * through this path is no clash with it as an output (see file-identity.ts).
   */
  updatesItself?: boolean;
}

/** JSON as every file this tool writes it: 2-space indent and a final newline. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes one or more files so that a reader (or a crash) never sees a half-written file, and a
 * failure leaves the directory as it was.
 *
 * 1. Every target is checked first: not an input of the run under any name, not a symlink or
 *    anything but a regular file, no existing file unless `overwrite`.
 * 2. Each content goes into a temp file in the target's directory and is fsynced.
 * 3. The temp files are moved into place: `link` for new files (fails instead of clobbering a
 *    file that appeared meanwhile), `rename` for overwrites, which are done last.
 * 4. If any step fails, temp files are removed and files already placed are removed again.
 */
export async function writeFilesAtomically(
  writes: readonly PlannedWrite[],
  hooks: WriteHooks = {},
): Promise<void> {
  await refuseUnwritableTargets(writes);
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
    await testPoint("staged");
    await hooks.beforePlacing?.(staged.map(({ write, temp }) => ({ path: write.path, temp })));
    // New files first: they can be undone by unlinking. Overwrites last, since they can't.
    const ordered = [...staged].sort(
      (a, b) => Number(!!a.write.overwrite) - Number(!!b.write.overwrite),
    );
    for (const { write, temp } of ordered) {
      current = write.path;
      if (write.overwrite) {
        // Checked again just before: rename would replace a FIFO or a device made meanwhile.
        await refuseNonRegularFileAt(write.path);
        await rename(temp, write.path);
      } else {
        await link(temp, write.path);
        await testPoint(`linked-${placed.length + 1}`);
        await unlink(temp);
      }
      placed.push(write.path);
      await fsyncDirectory(dirname(write.path));
      await testPoint(`placed-${placed.length}`);
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
        "APPEARED_MEANWHILE",
        "cannot be written (a file of that name appeared meanwhile); nothing was written",
        { file: current },
        { cause: error },
      );
    }
    throw new OutputError(
      "WRITE_FAILED",
      `cannot be written (${describeWriteError(error)}); nothing was written`,
      { file: current },
      { cause: error },
    );
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

/**
 * Removes this tool's temp files in `directory` whose process is gone, except those an unfinished
 * journal refers to (a killed prepare-deployment's content, which the next run that takes the
 * scraper config's lock puts in place). Returns their names.
 */
export async function removeDeadProcessesTempFiles(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const removed: string[] = [];
  let journaled: Set<string> | undefined;
  for (const name of names) {
    if (!TEMP_FILE.test(name) && !PIDLESS_TEMP_FILE.test(name)) continue;
    journaled ??= await journaledTempFiles([directory]);
    if (journaled.has(resolve(directory, name))) continue;
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
 * The `--output [--force]` check: the output is never an input of the run under any name (not
 * even with --force), and an existing file is replaced only with --force.
 */
export async function refuseUnwritableOutput(
  output: string,
  force: boolean | undefined,
): Promise<void> {
  await refuseOutputsThatAreInputs([{ path: output, hint: "choose another --output" }]);
  await refuseUnwritableTargets([
    { path: output, overwrite: force, hint: "pass --force to replace it" },
  ]);
}

export type WriteTarget = Pick<
  PlannedWrite,
  "path" | "overwrite" | "hint" | "createParent" | "updatesItself"
>;

/**
 * Fails early, before any work, when a planned write would be refused later: a target that is an
 * input of the run (exit 64), then one that is not free or replaceable (exit 73).
 */
export async function refuseUnwritableTargets(writes: readonly WriteTarget[]): Promise<void> {
  await refuseOutputsThatAreInputs(writes);
  for (const write of writes) await refuseUnwritableTarget(write);
}

async function refuseUnwritableTarget({
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
      throw new OutputError(
        "CANNOT_CHECK",
        `cannot be checked (${describeWriteError(error)})`,
        { file: path },
        { cause: error },
      );
    }
    // Free. Its directory must exist (unless the write creates it), or the write would fail
    // only after all the chain work.
    if (!createParent) {
      const parent = await stat(dirname(path)).catch(() => undefined);
      if (!parent?.isDirectory())
        throw new OutputError(
          "NO_DIRECTORY",
          "cannot be written (its directory does not exist); nothing was written",
          { file: path },
        );
    }
    return;
  }
  refuseNonRegularFile(info, path);
  if (!overwrite)
    throw new OutputExistsError(
      "EXISTS",
      `already exists; refusing to overwrite it${hint ? ` (${hint})` : ""}`,
      {
        file: path,
      },
    );
}

/**
 * Only a regular file is ever replaced: a symlink, a directory, a FIFO, a device or a socket is
 * refused, whatever --force says (a rename over /dev/null would replace the device itself).
 */
function refuseNonRegularFile(info: import("node:fs").Stats, path: string): void {
  if (info.isFile()) return;
  if (info.isSymbolicLink()) {
    throw new OutputError("SYMBOLIC_LINK", "is a symbolic link; refusing to write through it", {
      file: path,
    });
  }
  throw new OutputError(
    "NOT_A_REGULAR_FILE",
    `is ${fileKind(info)}, not a regular file; refusing to replace it (with or without --force)`,
    { file: path },
  );
}

/** What a non-regular file is, for messages. */
export function fileKind(info: import("node:fs").Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  if (info.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

async function refuseNonRegularFileAt(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info) refuseNonRegularFile(info, path);
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
