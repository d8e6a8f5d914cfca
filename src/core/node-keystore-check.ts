import { InputError } from "./errors.js";
import { locate } from "./json-file.js";

/**
 * Refuses to write a key file the node would reject: the content is checked with Aztec's own
 * keystore schema (@aztec/node-keystore, the node's loader) and its KeystoreManager (duplicate
 * attesters). Loaded lazily: the package pulls in much of Aztec's stdlib.
 */
export async function checkNodeAcceptsKeyFile(content: unknown, shownName: string): Promise<void> {
  const [{ keystoreSchema }, { KeystoreManager }] = await Promise.all([
    import("@aztec/node-keystore/schemas"),
    import("@aztec/node-keystore"),
  ]);
  const result = keystoreSchema.safeParse(content);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `would be rejected by the node's keystore loader: ${issue?.message ?? "schema mismatch"}; ` +
        "fix the production file (the node allows no fields it does not know)",
      locate(shownName, issue?.path ?? []),
    );
  }
  try {
    new KeystoreManager(result.data);
  } catch (error) {
    throw new InputError(`would be rejected by the node's KeystoreManager: ${(error as Error).message}`, {
      file: shownName,
    });
  }
}
