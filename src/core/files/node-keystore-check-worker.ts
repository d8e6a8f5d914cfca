// Worker thread entry, bundled by esbuild into dist/node-keystore-check-worker.js (see
// workerEntryUrl).
//
// Checks key files with Aztec's own node keystore code, in a thread of its own: the package
// loads much of Aztec's stdlib and starts a logger thread that the main thread would wait for
// when it exits (about a second). The main thread terminates this worker instead.
//
// Receives {contents: unknown[]}; answers {problems: (undefined | {message, path})[]}, one per
// content, each the first reason the node would reject that key file.
import { parentPort } from "node:worker_threads";

type KeystoreSchema = (typeof import("@aztec/node-keystore/schemas"))["keystoreSchema"];
type KeystoreManagerClass = (typeof import("@aztec/node-keystore"))["KeystoreManager"];
interface NodeKeystore {
  keystoreSchema: KeystoreSchema;
  KeystoreManager: KeystoreManagerClass;
}
interface Problem {
  message: string;
  path: PropertyKey[];
}
/** The parts of a zod issue (the node's zod) this reads. */
interface Issue {
  code?: string;
  message?: string;
  path?: PropertyKey[];
  unionErrors?: { issues: Issue[] }[];
}

// The synchronous logger for Aztec's code, as in derive-keys-worker.ts: no pino transport thread
// (which, bundled, could not find its files). A worker thread has its own copy of process.env.
process.env.JEST_WORKER_ID ??= "aztec-butler node-keystore check: no pino transport thread";

const loaded = Promise.all([
  import("@aztec/node-keystore/schemas"),
  import("@aztec/node-keystore"),
]).then(([{ keystoreSchema }, { KeystoreManager }]) => ({ keystoreSchema, KeystoreManager }));
// A failed import is reported by the first check that needs it.
loaded.catch(() => undefined);

parentPort?.on("message", async ({ contents }: { contents: unknown[] }) => {
  try {
    const node = await loaded;
    parentPort?.postMessage({ problems: contents.map((content) => problemOf(node, content)) });
  } catch (error) {
    parentPort?.postMessage({
      failure: String(error instanceof Error ? (error.stack ?? error) : error),
    });
  }
});

function problemOf(
  { keystoreSchema, KeystoreManager }: NodeKeystore,
  content: unknown,
): Problem | undefined {
  const parse = (value: unknown) => keystoreSchema.safeParse(value);
  let result;
  try {
    result = parse(content);
  } catch (error) {
    // Some of the node's parsers throw instead of reporting an issue: AztecAddress.fromString on
    // a feeRecipient at or above the BN254 field modulus. The node's loader fails on it all the same.
    return {
      message: `would be rejected by the node's keystore loader: ${messageOf(error)}`,
      path: validatorThatThrows(content, parse),
    };
  }
  if (!result.success) {
    const issue = deepestIssue(result.error.issues as Issue[]);
    return {
      message:
        `would be rejected by the node's keystore loader: ${issue?.message ?? "schema mismatch"}` +
        (issue?.code === "unrecognized_keys"
          ? " (the node allows no fields it does not know)"
          : ""),
      path: issue?.path ?? [],
    };
  }
  let manager: InstanceType<KeystoreManagerClass>;
  try {
    manager = new KeystoreManager(result.data);
  } catch (error) {
    return {
      message: `would be rejected by the node's KeystoreManager: ${messageOf(error)}`,
      path: [],
    };
  }
  // The node creates every validator's attester and publisher signers when it starts; a validator
  // with no remoteSigner to sign through (none of its own, none for the file) fails there. For
  // addresses and remote signer accounts this touches neither the network nor files.
  for (let index = 0; index < manager.getValidatorCount(); index++) {
    try {
      manager.createAttesterSigners(index);
      manager.createPublisherSigners(index);
    } catch (error) {
      const message = messageOf(error);
      const hint = /no remote signer/i.test(message)
        ? "; give the production file a top-level remoteSigner, which every validator uses"
        : "";
      return {
        message: `would have no signer on the node: ${message}${hint}`,
        path: ["validators", index],
      };
    }
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The issue to show: for a union that matched no branch (the node's schema is unions within
 * unions), the issue of any branch that reached deepest into the content, which is where the
 * value went wrong; otherwise the first issue.
 */
function deepestIssue(issues: readonly Issue[]): Issue | undefined {
  let best: Issue | undefined;
  const visit = (issue: Issue): void => {
    if (issue.code === "invalid_union" && issue.unionErrors?.length) {
      for (const branch of issue.unionErrors) branch.issues.forEach(visit);
      return;
    }
    if (!best || (issue.path?.length ?? 0) > (best.path?.length ?? 0)) best = issue;
  };
  if (issues[0]) visit(issues[0]);
  return best;
}

/**
 * The top level, when parsing throws without any validator; else the first validator that
 * makes it throw.
 */
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
