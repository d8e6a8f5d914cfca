import { createHash } from "node:crypto";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { journalPathOf, readJournal, type JournalEntry } from "./journal.js";
import { OutputExistsError } from "../errors.js";
import type { ScraperConfig } from "../../types/scraper-config.js";
import { withFileLock } from "./file-lock.js";
import { loadScraperConfig, type ScraperConfigWrite } from "./scraper-config.js";
import { tempFileName, toJsonText, writeFilesAtomically } from "./safe-write.js";
import { testPoint } from "./test-points.js";

export interface DeploymentWrite {
  /** The key files' contents, in output order. */
  keyFiles: readonly string[];
  /**
   * Where the key files go, asked under the scraper config's lock, and asked again when a name
   * was taken meanwhile by a run that does not share the lock.
   */
  paths: () => Promise<string[]>;
  /** Auto-named outputs (`.new`, `.new2`, …) move on to the next free name; `-o` does not. */
  moveOnWhenTaken: boolean;
  /**
   * The scraper config (scraperConfigWrite): `build` gets the content read under the lock
   * (undefined when there is none yet) and returns what to write (undefined: leave it).
   */
  scraper?: ScraperConfigWrite;
  /** Told what a previous, killed run left and what was done about it. */
  warn: (line: string) => void;
}

export interface DeploymentWritten {
  paths: string[];
  scraperConfig: ScraperConfig | undefined;
}

/** Names tried before giving up when every one is taken by concurrent runs. */
const MAX_NAME_ATTEMPTS = 50;

/**
 * Writes prepare-deployment's key files and its scraper config update as one unit:
 * - under an exclusive lock on the scraper config, so concurrent runs' updates are serialized
 *   and each merges into the content the previous one wrote (none is lost);
 * - the key files' names chosen under that lock, and a name taken meanwhile (`.new` created by
 *   a run with another scraper config) makes this run move on to the next (`.new2`);
 * - with a journal (`<scraper config>.journal`) written once every temp file is complete and
 *   removed once every file is in place: a run killed between the two leaves it, and the next
 *   run completes the placement (everything in it had passed every check) and says so, or says
 *   which file could not be completed.
 */
export async function writeDeployment(write: DeploymentWrite): Promise<DeploymentWritten> {
  const { scraper } = write;
  if (!scraper) return writeKeyFiles(write, undefined);
  return withFileLock(
    scraper.path,
    async () => {
      await testPoint("lock-acquired");
      const journal = journalPathOf(scraper.path);
      await recoverJournal(journal, write.warn);
      return writeKeyFiles(write, journal);
    },
    { createParent: true },
  );
}

/**
 * The scraper config alone (status --update-scraper-config), written the way writeDeployment
 * writes it: under its lock, an unfinished journal completed first, atomically.
 */
export async function writeScraperConfig(
  scraper: ScraperConfigWrite,
  warn: (line: string) => void,
): Promise<ScraperConfig | undefined> {
  const written = await writeDeployment({
    keyFiles: [],
    paths: () => Promise.resolve([]),
    moveOnWhenTaken: false,
    scraper,
    warn,
  });
  return written.scraperConfig;
}

async function writeKeyFiles(
  write: DeploymentWrite,
  journal: string | undefined,
): Promise<DeploymentWritten> {
  for (let attempt = 1; ; attempt++) {
    const paths = await write.paths();
    const scraperConfig =
      write.scraper && write.scraper.build(await loadScraperConfig(write.scraper.path));
    const writes = [
      ...write.keyFiles.map((content, i) => ({ path: paths[i]!, content })),
      ...(scraperConfig && write.scraper
        ? [
            {
              path: write.scraper.path,
              content: toJsonText(scraperConfig),
              overwrite: true,
              createParent: true,
              updatesItself: true,
            },
          ]
        : []),
    ];
    try {
      await writeFilesAtomically(
        writes,
        journal === undefined
          ? {}
          : {
              beforePlacing: (staged) => writeJournal(journal, staged, writes),
              onFailure: () => unlink(journal),
            },
      );
      if (journal !== undefined) await unlink(journal).catch(() => undefined);
      return { paths, scraperConfig };
    } catch (error) {
      const taken = error instanceof OutputExistsError && paths.includes(error.location.file ?? "");
      if (taken && write.moveOnWhenTaken && attempt < MAX_NAME_ATTEMPTS) continue;
      throw error;
    }
  }
}

async function writeJournal(
  journal: string,
  staged: readonly { path: string; temp: string }[],
  writes: readonly { path: string; content: string; overwrite?: boolean }[],
): Promise<void> {
  const entries: JournalEntry[] = staged.map(({ path, temp }) => {
    const write = writes.find((w) => w.path === path);
    return {
      path: resolve(path),
      temp: resolve(temp),
      overwrite: Boolean(write?.overwrite),
      sha256: write && sha256(write.content),
    };
  });
  const temp = tempFileName(journal);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(toJsonText({ pid: process.pid, files: entries }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, journal);
  await testPoint("journal-written");
}

/**
 * A journal left by a killed run: every file it lists had passed every check and was complete
 * in its temp file, so each one not yet in place is put there now; one whose temp file is gone
 * is reported. Runs under the lock, before this run reads the scraper config.
 */
async function recoverJournal(journal: string, warn: (line: string) => void): Promise<void> {
  const read = await readJournal(journal);
  if (read === undefined) return;
  const recorded: { pid?: number; files?: JournalEntry[] } = read === "unreadable" ? {} : read;
  const completed: string[] = [];
  const missing: string[] = [];
  for (const { path, temp, overwrite, sha256: placedContent } of recorded.files ?? []) {
    const tempExists = await exists(temp);
    if (!tempExists) {
      // Already placed (killed before the journal was removed): the target holds the content.
      // (A journal without hashes: a new file that exists was placed.)
      const placed =
        placedContent !== undefined
          ? (await fileSha256(path)) === placedContent
          : !overwrite && (await exists(path));
      if (!placed) missing.push(path);
      continue;
    }
    if (!overwrite && (await sameFile(temp, path))) {
      // Killed between linking it into place and removing the temp name.
      await unlink(temp).catch(() => undefined);
      continue;
    }
    try {
      if (overwrite) await rename(temp, path);
      else {
        await link(temp, path);
        await unlink(temp);
      }
      completed.push(path);
    } catch {
      await unlink(temp).catch(() => undefined);
      missing.push(path);
    }
  }
  await unlink(journal).catch(() => undefined);
  const run = `a previous prepare-deployment (process ${String(recorded.pid ?? "?")}) was killed while writing`;
  if (completed.length > 0) warn(`${run}; completed its write of ${completed.join(", ")}`);
  if (missing.length > 0) {
    warn(
      `${run}; ${missing.join(", ")} could not be completed (its temp file is gone): it is not ` +
        "written, or holds what it held before that run",
    );
  }
  if (completed.length === 0 && missing.length === 0 && recorded.files === undefined) {
    warn(`${run}; its journal ${journal} is unreadable and was removed`);
  }
}

function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

async function fileSha256(path: string): Promise<string | undefined> {
  return readFile(path).then(sha256, () => undefined);
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([
    stat(a).catch(() => undefined),
    stat(b).catch(() => undefined),
  ]);
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
