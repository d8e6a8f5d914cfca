import { InputError, type ErrorLocation } from "./errors.js";
import { locate } from "./json-file.js";

/** Where a problem at a path of the checked content is to be fixed (the file, validator and field shown). */
export type LocateIssue = (path: readonly PropertyKey[]) => ErrorLocation;

/**
 * Refuses to write a key file the node would reject: the content is checked with Aztec's own
 * keystore schema (@aztec/node-keystore, the node's loader) and its KeystoreManager (duplicate
 * attesters, a signer for every attester and publisher). Loaded lazily: the package pulls in
 * much of Aztec's stdlib.
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
    const issue = deepestIssue(result.error.issues);
    throw new InputError(
      `would be rejected by the node's keystore loader: ${issue?.message ?? "schema mismatch"}` +
        (issue?.code === "unrecognized_keys"
          ? " (the node allows no fields it does not know)"
          : ""),
      locateIssue(issue?.path ?? []),
    );
  }
  let manager: InstanceType<typeof KeystoreManager>;
  try {
    manager = new KeystoreManager(result.data);
  } catch (error) {
    throw new InputError(
      `would be rejected by the node's KeystoreManager: ${(error as Error).message}`,
      locateIssue([]),
    );
  }
  // The node creates every validator's attester and publisher signers when it starts; a
  // validator with no remoteSigner to sign through (none of its own, none for the file) fails
  // there. For addresses and remote signer accounts this touches neither the network nor files.
  for (let index = 0; index < manager.getValidatorCount(); index++) {
    try {
      manager.createAttesterSigners(index);
      manager.createPublisherSigners(index);
    } catch (error) {
      const message = (error as Error).message;
      const hint = /no remote signer/i.test(message)
        ? "; give the production file a top-level remoteSigner, which every validator uses"
        : "";
      throw new InputError(
        `would have no signer on the node: ${message}${hint}`,
        locateIssue(["validators", index]),
      );
    }
  }
}

interface NodeSchemaIssue {
  code?: string;
  message?: string;
  path?: PropertyKey[];
  unionErrors?: { issues: NodeSchemaIssue[] }[];
}

/**
 * The issue to show: for a union that matched no branch (the node's schema is unions within
 * unions), the issue of any branch that reached deepest into the content, which is where the
 * value went wrong; otherwise the first issue.
 */
function deepestIssue(issues: readonly NodeSchemaIssue[]): NodeSchemaIssue | undefined {
  let best: NodeSchemaIssue | undefined;
  const visit = (issue: NodeSchemaIssue) => {
    if (issue.code === "invalid_union" && issue.unionErrors?.length) {
      for (const branch of issue.unionErrors) branch.issues.forEach(visit);
      return;
    }
    if (!best || (issue.path?.length ?? 0) > (best.path?.length ?? 0)) best = issue;
  };
  const first = issues[0];
  if (first) visit(first);
  return best;
}

/** The top level, when parsing throws without any validator; else the first validator that makes it throw. */
function validatorThatThrows(content: unknown, parse: (value: unknown) => unknown): PropertyKey[] {
  const validators = (content as { validators?: unknown } | null)?.validators;
  if (!Array.isArray(validators)) return [];
  try {
    parse({ ...(content as object), validators: [] });
  } catch {
    return [];
  }
  for (let index = 0; index < validators.length; index++) {
    try {
      parse({ ...(content as object), validators: [validators[index]] });
    } catch {
      return ["validators", index];
    }
  }
  return [];
}
