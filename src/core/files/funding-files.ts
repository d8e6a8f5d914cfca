/**
 * fund-publishers' files: the deployed key files it reads publishers from, and what it writes
 * (the transfers JSON, the Safe Transaction Builder file).
 */
import { stat } from "node:fs/promises";
import { UsageError, InputError } from "../errors.js";
import { parseWithSchema, readJsonFile } from "./json-file.js";
import { safeTransactionBuilderBatch } from "./safe-tx-builder.js";
import { refuseOutputsThatAreInputs } from "./file-identity.js";
import { refuseUnwritableTargets, toJsonText, type PlannedWrite } from "./safe-write.js";
import type { PublishingValidator } from "../plan/publishers.js";
import type { Transfer } from "../plan/publisher-top-ups.js";
import { productionKeyFileSchema } from "../../types/production-key-file.js";

export interface PublishingKeyFile {
  file: string;
  validators: PublishingValidator[];
  /** schemaVersion 2's file-wide `publisher`: for every validator without its own. */
  filePublishers: string[];
}

/**
 * The addresses of a (checked) publisher field: an address, a remote signer account
 * `{address, …}`, or a list of them.
 */
export function publisherAddresses(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.map((item: unknown) =>
    typeof item === "string" ? item : String((item as { address: unknown }).address),
  );
}

/**
 * Each deployed key file (production `.new`/deployed, high-availability `A_…`, server-keyed
 * `<server>_…`), checked with the production schema, in the order given. The same file given
 * twice (under any name) is refused: its attesters would be counted twice, and funded twice.
 */
export async function loadPublishingKeyFiles(
  files: readonly string[],
): Promise<PublishingKeyFile[]> {
  const seen = new Map<string, string>();
  const loaded: PublishingKeyFile[] = [];
  for (const file of files) {
    const parsed = parseWithSchema(productionKeyFileSchema, await readJsonFile(file), file);
    const info = await stat(file);
    const id = `${info.dev}:${info.ino}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw new UsageError(
        "FILE_GIVEN_TWICE",
        `is given twice (the same file as ${earlier}); its attesters would be counted twice`,
        { file },
      );
    }
    seen.set(id, file);
    if (parsed.publisher !== undefined && parsed.schemaVersion !== 2) {
      throw new InputError(
        "FILE_WIDE_PUBLISHER_NEEDS_V2",
        "a file-wide publisher needs schemaVersion 2 (the node rejects it in a schemaVersion 1 file)",
        { file, field: "publisher" },
      );
    }
    loaded.push({
      file,
      validators: parsed.validators.map((v) => ({
        attester: v.attester.eth,
        publishers: publisherAddresses(v.publisher),
      })),
      filePublishers: publisherAddresses(parsed.publisher),
    });
  }
  return loaded;
}

/** `--safe-tx-builder <prefix>`'s one file. */
export function fundingSafeFileName(prefix: string): string {
  return `${prefix}.json`;
}

/**
 * fund-publishers' outputs, checked before the chain work: neither is an input of the run under
 * any name (the key files are read by then), and `--output` is free or `--force`d (the
 * Transaction Builder file's turn comes when it is written: it may not be).
 */
export async function refuseUnwritableFundingOutputs(options: {
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
}): Promise<void> {
  const safeFile = options.safeTxBuilder && fundingSafeFileName(options.safeTxBuilder);
  await refuseOutputsThatAreInputs([
    ...(options.output === undefined
      ? []
      : [{ path: options.output, hint: "choose another --output" }]),
    ...(safeFile ? [{ path: safeFile, hint: "choose another --safe-tx-builder" }] : []),
  ]);
  if (options.output !== undefined) {
    await refuseUnwritableTargets([{ path: options.output, overwrite: options.force }]);
  }
}

/**
 * fund-publishers' files: `--output` (exactly what stdout gets) and, with `--safe-tx-builder`,
 * one Transaction Builder file with every transfer (the builder sends them as one MultiSend),
 * unless there is nothing to send. Existing files are replaced only with `force`.
 */
export function fundPublishersOutputWrites(input: {
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
  stdoutJson: string;
  chainId: number;
  transfers: readonly Transfer[];
  description: string;
  createdAt?: number;
}): PlannedWrite[] {
  const file = (path: string, content: string): PlannedWrite => ({
    path,
    content,
    overwrite: input.force,
    hint: "pass --force to replace it",
  });
  const writes = input.output === undefined ? [] : [file(input.output, input.stdoutJson)];
  if (input.safeTxBuilder === undefined || input.transfers.length === 0) return writes;
  const batch = safeTransactionBuilderBatch({
    chainId: input.chainId,
    createdAt: input.createdAt ?? Date.now(),
    name: "aztec-butler fund-publishers",
    description: input.description,
    transactions: input.transfers,
  });
  return [...writes, file(fundingSafeFileName(input.safeTxBuilder), toJsonText(batch))];
}
