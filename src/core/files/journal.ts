/**
 * The journal of a write of several files as one unit (deployment-write.ts): written once every
 * temp file is complete, removed once every file is in place. A journal left by a killed run says
 * which temp files hold content that passed every check and still has to be put in place, so no
 * cleanup may remove them (safe-write.ts asks journaledTempFiles) until the journal is completed.
 * Journals live beside the scraper config, in the data dir: `<scraper config>.journal`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { butlerPaths } from "../config.js";

export const journalEntrySchema = z.object({
  /** Absolute. */
  path: z.string().min(1),
  /** Absolute. */
  temp: z.string().min(1),
  overwrite: z.boolean(),
  /** sha256 of the content: a target that holds it was placed (its temp name is gone). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export const journalSchema = z.object({
  pid: z.number().int().positive(),
  files: z.array(journalEntrySchema),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;
export type Journal = z.infer<typeof journalSchema>;

/** Where the journal of writes to `scraperConfig` goes. */
export function journalPathOf(scraperConfig: string): string {
  return `${scraperConfig}.journal`;
}

/**
 * A journal's content: undefined when there is none, "unreadable" when it is not a journal (a
 * killed write of the journal itself leaves only its temp file, so this is damage, not a crash).
 */
export async function readJournal(path: string): Promise<Journal | "unreadable" | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = journalSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : "unreadable";
  } catch {
    return "unreadable";
  }
}

/**
 * Every temp file an unfinished journal in the data dir refers to (absolute paths): content a
 * later run completes, which cleanup must leave alone. A journal that cannot be read protects
 * nothing: no run can complete it (the next one that takes the lock removes it, saying so).
 * `extraDirs`: other directories to look for journals in (a write's own directory).
 */
export async function journaledTempFiles(extraDirs: readonly string[] = []): Promise<Set<string>> {
  const dirs = new Set([resolve(butlerPaths().data), ...extraDirs.map((d) => resolve(d))]);
  const temps = new Set<string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith(".journal"))) {
      const journal = await readJournal(join(dir, name));
      if (journal === undefined || journal === "unreadable") continue;
      for (const entry of journal.files) temps.add(resolve(entry.temp));
    }
  }
  return temps;
}
