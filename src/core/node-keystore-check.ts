import { InputError, type ErrorLocation } from "./errors.js";
import { locate } from "./json-file.js";

/** Where a problem at a path of the checked content is to be fixed (the file, validator and field shown). */
export type LocateIssue = (path: readonly PropertyKey[]) => ErrorLocation;

/**
 * Refuses to write a key file the node would reject: the content is checked with Aztec's own
 * keystore schema (@aztec/node-keystore, the node's loader) and its KeystoreManager (duplicate
 * attesters). Loaded lazily: the package pulls in much of Aztec's stdlib.
 *
 * `where` is the file name to show, or a function placing a problem in the file the operator has
 * to fix (the output file is not written yet; its validators come from several inputs).
 */
export async function checkNodeAcceptsKeyFile(
  content: unknown,
  where: string | LocateIssue,
): Promise<void> {
  const locateIssue: LocateIssue =
    typeof where === "string" ? (path) => locate(where, path) : where;
  const [{ keystoreSchema }, { KeystoreManager }] = await Promise.all([
    import("@aztec/node-keystore/schemas"),
    import("@aztec/node-keystore"),
  ]);
  const parse = (value: unknown) => keystoreSchema.safeParse(value);
  let result: ReturnType<typeof parse>;
  try {
    result = parse(content);
  } catch (error) {
    // Some of the node's parsers throw instead of reporting an issue: AztecAddress.fromString on a
    // feeRecipient at or above the BN254 field modulus. The node's loader fails on it all the same.
    throw new InputError(
      `would be rejected by the node's keystore loader: ${(error as Error).message}`,
      locateIssue(validatorThatThrows(content, parse)),
    );
  }
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `would be rejected by the node's keystore loader: ${issue?.message ?? "schema mismatch"}` +
        (issue?.code === "unrecognized_keys"
          ? " (the node allows no fields it does not know)"
          : ""),
      locateIssue(issue?.path ?? []),
    );
  }
  try {
    new KeystoreManager(result.data);
  } catch (error) {
    throw new InputError(
      `would be rejected by the node's KeystoreManager: ${(error as Error).message}`,
      locateIssue([]),
    );
  }
}

/** The path of the first validator whose parsing throws on its own, or the top level. */
function validatorThatThrows(content: unknown, parse: (value: unknown) => unknown): PropertyKey[] {
  const validators = (content as { validators?: unknown } | null)?.validators;
  if (!Array.isArray(validators)) return [];
  for (let index = 0; index < validators.length; index++) {
    try {
      parse({ ...(content as object), validators: [validators[index]] });
    } catch {
      return ["validators", index];
    }
  }
  return [];
}
