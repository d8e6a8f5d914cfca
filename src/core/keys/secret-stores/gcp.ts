import type { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { isIP } from "node:net";
import {
  ButlerError,
  ConfigError,
  OutputError,
  SecretStoreUnavailableError,
  type ErrorLocation,
  type ErrorParts,
} from "../../errors.js";
import type { SecretStore, SecretStoreContext, ValidatorSecrets } from "./types.js";
import type { Output } from "../../output.js";
import { count, plural } from "../../plan/wording.js";
import type { StoredAttesterKeys, StoredKey } from "../../plan/secret-check.js";

/**
 * Points the client at a Secret Manager emulator (`host:port`, plaintext gRPC) instead of Google;
 * the tests' local server, never for production: only a loopback host is accepted, since the keys
 * would cross the network unencrypted.
 */
export const GCP_ENDPOINT_ENV = "GCP_SECRET_MANAGER_ENDPOINT";

/** How many Secret Manager calls are in flight at once. */
const CONCURRENT_CALLS = 16;

/** `web3signer-<network>-<eth|bls>-<attester address>`: the names web3signer's GCP config uses. */
export function gcpSecretId(network: string, kind: "eth" | "bls", attester: string): string {
  return `web3signer-${network}-${kind}-${attester.toLowerCase()}`;
}

interface Entry {
  secret: ValidatorSecrets;
  kind: "eth" | "bls";
  id: string;
  name: string;
  value: string;
}

/**
 * `--secret-store gcp:<project-id>`: one Secret Manager secret per key (Application Default
 * Credentials, through the official client, loaded only for this store). Created idempotently:
 * a secret already holding the same value is kept; one holding another value is refused (naming
 * it) before anything is written. Every secret is then read back and compared; a version this
 * run added that reads back wrong is destroyed again.
 */
export async function openGcpSecretStore(
  project: string,
  { config }: SecretStoreContext,
): Promise<SecretStore> {
  const timeout = config.rpcOptions.timeoutMs;
  const { client, where } = await connect();
  const call = callerOf(where, project, "the public-keys file was not written");

  return {
    description: `GCP Secret Manager (project ${project})`,
    async store(secrets, out) {
      const network = config.network;
      const entries: Entry[] = secrets.flatMap((secret) =>
        (["eth", "bls"] as const).map((kind) => {
          const id = gcpSecretId(network, kind, secret.publicKeys.eth);
          return {
            secret,
            kind,
            id,
            name: `projects/${project}/secrets/${id}`,
            value: secret.privateKeys[kind].toLowerCase(),
          };
        }),
      );
      const labelsOf = (e: Entry) => ({
        "managed-by": "aztec-butler",
        network: network.toLowerCase(),
        "key-kind": e.kind,
        attester: e.secret.publicKeys.eth.toLowerCase(),
      });
      const options = { timeout, retry: null } as never;

      // 1. What is there already: every secret's latest value (or none). A different value
      //    anywhere stops everything before anything is written.
      let done = 0;
      const existing = await inBatches(entries, async (e) => {
        const value = await readLatest(e.name, call, client, options);
        out.progress(`checking secrets: ${count(++done)}/${count(entries.length)}`);
        return value;
      });
      entries.forEach((e, i) => {
        const value = existing[i]!;
        if (value.state === "value" && value.value !== e.value) {
          throw new OutputError(
            "EXISTS_WITH_OTHER_CONTENT",
            `secret ${e.name} already holds a different value than validator ${e.secret.index}'s ` +
              `${e.kind} key (${e.secret.publicKeys.eth}); refusing to add a version to it; nothing was written`,
            { index: e.secret.index, field: `attester.${e.kind}` },
          );
        }
        if (value.state === "unusable") {
          throw new OutputError(
            "SECRET_DISABLED",
            `secret ${e.name}'s latest version is disabled or destroyed; enable it or delete the ` +
              "secret, then run again; nothing was written",
            { index: e.secret.index, field: `attester.${e.kind}` },
          );
        }
      });

      // 2. Create the missing secrets and add their value. A failure part-way (the server gone)
      //    cannot take back what was added: the error names those secrets, and a re-run keeps
      //    them (same value) and adds the rest.
      const added: string[] = [];
      const addedSecrets: string[] = [];
      done = 0;
      const missing = entries.filter((_, i) => existing[i]!.state !== "value");
      await inBatches(missing, async (e, i) => {
        if (existing[entries.indexOf(e)]!.state === "absent") {
          await call(`create secret ${e.name}`, () =>
            client
              .createSecret(
                {
                  parent: `projects/${project}`,
                  secretId: e.id,
                  secret: { replication: { automatic: {} }, labels: labelsOf(e) },
                },
                options,
              )
              .catch((error: { code?: number }) => {
                if (error.code !== GRPC_ALREADY_EXISTS) throw error;
              }),
          );
        }
        const [version] = await call(`add a version to ${e.name}`, () =>
          client.addSecretVersion(
            { parent: e.name, payload: { data: Buffer.from(e.value, "utf8") } },
            options,
          ),
        );
        if (version.name) added.push(version.name);
        addedSecrets.push(e.name);
        out.progress(`storing secrets: ${count(++done)}/${count(missing.length)}`);
        void i;
      }).catch((error: unknown) => {
        throw withAddedSecrets(error, addedSecrets);
      });

      // 3. Read every secret back and compare.
      done = 0;
      const readBack = await inBatches(entries, async (e) => {
        const value = await readLatest(e.name, call, client, options);
        out.progress(`verifying secrets: ${count(++done)}/${count(entries.length)}`);
        return value;
      });
      out.progressDone();
      const wrong = entries.find((e, i) => {
        const value = readBack[i]!;
        return value.state !== "value" || value.value !== e.value;
      });
      if (wrong) {
        await Promise.all(
          added.map((name) =>
            client.destroySecretVersion({ name }, options).catch(() => undefined),
          ),
        );
        throw new OutputError(
          "READ_BACK_MISMATCH",
          `secret ${wrong.name} reads back a different value than validator ${wrong.secret.index}'s ` +
            `${wrong.kind} key; the ${plural(added.length, "version")} added now were destroyed; the public-keys file was not written`,
          { index: wrong.secret.index, field: `attester.${wrong.kind}` },
        );
      }
      const kept = entries.length - missing.length;
      out.info(
        `stored ${plural(secrets.length, "validator")}' keys in GCP Secret Manager project ${project} ` +
          `(${plural(entries.length, "secret")}: ${count(missing.length)} added, ${count(kept)} already there with the same value; ` +
          `every one read back and compared)`,
      );
    },
  };
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

type Latest =
  | { state: "absent" }
  | { state: "empty" }
  | { state: "unusable" }
  | { state: "value"; value: string };

type Call = <T>(what: string, request: () => Promise<T>) => Promise<T>;

/** Runs a Secret Manager call, its failure described as one error (see describeFailure). */
function callerOf(where: string, project: string, consequence: string): Call {
  return async (what, request) => {
    try {
      return await request();
    } catch (error) {
      throw describeFailure(error, what, where, project, consequence);
    }
  };
}

/** The client, for Google or the emulator of GCP_ENDPOINT_ENV, and what it is for messages. */
async function connect(): Promise<{ client: SecretManagerServiceClient; where: string }> {
  const endpoint = process.env[GCP_ENDPOINT_ENV];
  const client = await createClient(endpoint);
  const where = endpoint
    ? `the Secret Manager emulator at ${endpoint}`
    : "Google Cloud Secret Manager";
  return { client, where };
}

async function readLatest(
  name: string,
  call: Call,
  client: SecretManagerServiceClient,
  options: never,
): Promise<Latest> {
  const result = await call(`read ${name}`, () =>
    client.accessSecretVersion({ name: `${name}/versions/latest` }, options).then(
      ([response]) => ({
        state: "value" as const,
        value: Buffer.from(response.payload?.data ?? "").toString("utf8"),
      }),
      (error: { code?: number }) => {
        if (error.code === GRPC_FAILED_PRECONDITION) return { state: "unusable" as const };
        if (error.code !== GRPC_NOT_FOUND) throw error;
        return undefined;
      },
    ),
  );
  if (result) return result;
  // No latest version: is there a secret at all?
  return call(`read ${name}`, () =>
    client.getSecret({ name }, options).then(
      () => ({ state: "empty" as const }),
      (error: { code?: number }) => {
        if (error.code !== GRPC_NOT_FOUND) throw error;
        return { state: "absent" as const };
      },
    ),
  );
}

/** The failure, saying which secrets were added before it (never their values). */
function withAddedSecrets(error: unknown, addedSecrets: readonly string[]): unknown {
  if (addedSecrets.length === 0 || !(error instanceof ButlerError)) return error;
  const Kind = error.constructor as new (
    code: string,
    message: string,
    location?: ErrorLocation,
    parts?: ErrorParts,
  ) => ButlerError;
  return new Kind(
    error.code,
    `${error.shortMessage}; before that, ${plural(addedSecrets.length, "secret")} ` +
      `${addedSecrets.length === 1 ? "was" : "were"} added and ${addedSecrets.length === 1 ? "is" : "are"} ` +
      `kept (a failed run cannot take them back): ${[...addedSecrets].sort().join(", ")}; run the ` +
      "same command again to complete (secrets holding the same value are kept)",
    error.location,
    { cause: error },
  );
}

/**
 * `host:port` of GCP_SECRET_MANAGER_ENDPOINT, refused (exit 78) unless the host is loopback:
 * `localhost`, 127.0.0.0/8 or ::1 (plaintext gRPC must not leave the machine).
 */
export function emulatorEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^([^:/[\]]+|\[[^\]]+\]):(\d+)$/.exec(endpoint);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new ConfigError(
      "INVALID_EMULATOR_ENDPOINT",
      `${GCP_ENDPOINT_ENV} must be host:port (got ${endpoint})`,
    );
  }
  const host = match[1]!;
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const loopback =
    bare === "localhost" ||
    (isIP(bare) === 4 && bare.startsWith("127.")) ||
    (isIP(bare) === 6 && (bare === "::1" || /^::ffff:127\./.test(bare)));
  if (!loopback) {
    throw new ConfigError(
      "INVALID_EMULATOR_ENDPOINT",
      `${GCP_ENDPOINT_ENV}=${endpoint}: the emulator endpoint speaks plaintext gRPC, so only a ` +
        "loopback host (localhost, 127.0.0.1, [::1]) is accepted; the keys would cross the network " +
        `unencrypted. Unset ${GCP_ENDPOINT_ENV} to use Google Cloud Secret Manager`,
    );
  }
  return { host, port: Number(match[2]) };
}

async function createClient(endpoint: string | undefined): Promise<SecretManagerServiceClient> {
  // Checked before the client library loads: nothing is sent anywhere before this passes.
  const emulator = endpoint === undefined ? undefined : emulatorEndpoint(endpoint);
  let secretManager: typeof import("@google-cloud/secret-manager");
  try {
    secretManager = await import("@google-cloud/secret-manager");
  } catch (error) {
    throw new SecretStoreUnavailableError(
      "CLIENT_LIBRARY_MISSING",
      `cannot load @google-cloud/secret-manager (${(error as Error).message}); reinstall aztec-butler`,
      {},
      { cause: error },
    );
  }
  if (emulator === undefined) return new secretManager.SecretManagerServiceClient();
  // The emulator speaks plaintext gRPC: the client's own grpc-js (through google-gax) makes the
  // insecure credentials, and no Application Default Credentials are looked up.
  const { grpc } = await import("google-gax");
  return new secretManager.SecretManagerServiceClient({
    apiEndpoint: emulator.host,
    port: emulator.port,
    sslCreds: grpc.credentials.createInsecure(),
    // Known universe: otherwise the auth library asks the GCE metadata server for it.
    clientOptions: { universeDomain: "googleapis.com" },
  });
}

function describeFailure(
  error: unknown,
  what: string,
  where: string,
  project: string,
  consequence: string,
): Error {
  const code = (error as { code?: number }).code;
  const detail = String(
    (error as { details?: string }).details ?? (error as Error).message ?? error,
  )
    .replace(/\s*Resolution note:\s*$/, "")
    .replace(/\s+/g, " ")
    .trim();
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) {
    return new SecretStoreUnavailableError(
      "UNREACHABLE",
      `cannot ${what}: ${where} cannot be reached (${detail}); ${consequence}`,
      {},
      { cause: error },
    );
  }
  if (
    code === GRPC_UNAUTHENTICATED ||
    code === GRPC_PERMISSION_DENIED ||
    /credentials/i.test(detail)
  ) {
    return new SecretStoreUnavailableError(
      "CREDENTIALS_REFUSED",
      `cannot ${what}: ${where} refuses the credentials (${detail}); run \`gcloud auth application-default login\` ` +
        `or set GOOGLE_APPLICATION_CREDENTIALS, with access to project ${project}; ${consequence}`,
      {},
      { cause: error },
    );
  }
  return new OutputError(
    "SECRET_STORE_FAILED",
    `cannot ${what} in ${where} (${detail}); ${consequence}`,
    {},
    { cause: error },
  );
}

/**
 * Runs `task` over `items`, CONCURRENT_CALLS at a time; results in input order. After a failure no
 * new task starts, and the ones in flight are waited for before the first failure is thrown (so
 * that what they did is known when it is reported).
 */
async function inBatches<T, R>(
  items: readonly T[],
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_CALLS, items.length) }, async () => {
      while (next < items.length && failure === undefined) {
        const i = next++;
        try {
          results[i] = await task(items[i]!, i);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
  return results;
}

/**
 * check-secrets: each attester's keys as the store wrote them (`gcpSecretId` for the network,
 * latest version), read CONCURRENT_CALLS at a time. A secret without a readable latest version
 * (none, disabled, destroyed) is absent: web3signer cannot read it either.
 */
export async function readGcpKeys(
  project: string,
  attesters: readonly { address: string }[],
  { config }: Pick<SecretStoreContext, "config">,
  out: Output,
): Promise<StoredAttesterKeys[]> {
  const { client, where } = await connect();
  const call = callerOf(where, project, "nothing was checked");
  const options = { timeout: config.rpcOptions.timeoutMs, retry: null } as never;
  const names = attesters.flatMap(({ address }) =>
    (["eth", "bls"] as const).map(
      (kind) => `projects/${project}/secrets/${gcpSecretId(config.network, kind, address)}`,
    ),
  );
  let done = 0;
  try {
    const latest = await inBatches(names, async (name) => {
      const value = await readLatest(name, call, client, options);
      out.progress(`reading secrets: ${count(++done)}/${count(names.length)}`);
      return value;
    });
    out.progressDone();
    const stored = latest.map((value, i): StoredKey => {
      const where = names[i]!;
      if (value.state === "absent") return { state: "absent", where, why: "no such secret" };
      if (value.state === "empty") return { state: "absent", where, why: "has no version" };
      if (value.state === "unusable")
        return { state: "absent", where, why: "its latest version is disabled or destroyed" };
      if (!/^0x[0-9a-fA-F]{64}$/.test(value.value))
        return {
          state: "unusable",
          where,
          why: "does not hold a private key (0x and 64 hex digits)",
        };
      return { state: "key", where, key: value.value as `0x${string}` };
    });
    return attesters.map((_, i) => ({ eth: stored[2 * i]!, bls: stored[2 * i + 1]! }));
  } finally {
    await client.close().catch(() => undefined);
  }
}
