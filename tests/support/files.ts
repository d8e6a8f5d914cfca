import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { projectRoot } from "./cli.js";

/** AZTEC_BUTLER_SHARED_REFERENCE: where the specification's reference phases are, if set. */
const configuredSharedReference = process.env.AZTEC_BUTLER_SHARED_REFERENCE || undefined;

/**
 * The specification's reference phases: AZTEC_BUTLER_SHARED_REFERENCE, else beside the project
 * (../shared/reference/key-files-and-phases; absent in a user's clone).
 */
export const sharedReferenceDir = configuredSharedReference
  ? resolve(configuredSharedReference)
  : join(projectRoot, "..", "shared", "reference", "key-files-and-phases");
export const ownPhasesDir = join(projectRoot, "key-files-and-phases");

/**
 * Whether the reference phases can run; when not, the reason to skip them with. In CI
 * (CI=true) with AZTEC_BUTLER_SHARED_REFERENCE set, missing files are an error, not a skip:
 * CI must reproduce the specification's phases.
 */
export function sharedReferenceSkipReason(): string | undefined {
  if (existsSync(sharedReferenceDir)) return undefined;
  if (process.env.CI === "true" && configuredSharedReference !== undefined) {
    throw new Error(
      `AZTEC_BUTLER_SHARED_REFERENCE is ${configuredSharedReference}, but ${sharedReferenceDir} does not ` +
        "exist; CI must run the reference-phase tests",
    );
  }
  const reason =
    `skipping reference-phase tests: ${sharedReferenceDir} is absent (only CI and developers have ` +
    "../shared; set AZTEC_BUTLER_SHARED_REFERENCE to point elsewhere)";
  console.log(reason);
  return reason;
}

export function tempDir(prefix = "butler-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh temp copy of a directory (e.g. a phase's on-dev-machine/). */
export function copyToTemp(source: string): string {
  const dir = tempDir();
  cpSync(source, dir, { recursive: true });
  return dir;
}

/** Every file under `dir` (hidden ones too) → sha256 of its bytes; symlinks and FIFOs by their kind. */
export function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const info = lstatSync(path);
      if (info.isDirectory()) walk(path);
      else if (info.isSymbolicLink()) result[relative(dir, path)] = `symlink`;
      // A FIFO would block a read; devices and sockets are not contents either.
      else if (!info.isFile()) result[relative(dir, path)] = "not a regular file";
      else
        result[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  if (existsSync(dir)) walk(dir);
  return result;
}

/** Every JSON file under `dir` parsed, by relative path: for JSON-equal comparisons. */
export function readJsonTree(dir: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const path of Object.keys(snapshot(dir))) {
    result[path] = JSON.parse(readFileSync(join(dir, path), "utf8"));
  }
  return result;
}
