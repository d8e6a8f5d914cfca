import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const require = createRequire(import.meta.url);
/** The protos the official client ships (and google-gax's google/api, google/iam ones). */
const clientProtos = join(
  dirname(require.resolve("@google-cloud/secret-manager/package.json")),
  "build",
  "protos",
);
// google-gax's main is build/src/index.js; its protos are in build/protos.
const gaxProtos = join(dirname(require.resolve("google-gax")), "..", "protos");

export interface StoredVersion {
  name: string;
  data: Buffer;
  state: "ENABLED" | "DISABLED" | "DESTROYED";
}
export interface StoredSecret {
  name: string;
  labels: Record<string, string>;
  versions: StoredVersion[];
}

export interface SecretManagerServer {
  /** host:port for GCP_SECRET_MANAGER_ENDPOINT. */
  endpoint: string;
  secrets: Map<string, StoredSecret>;
  /** Every call, e.g. "CreateSecret projects/p/secrets/x". */
  calls: string[];
  /** When set, AccessSecretVersion answers a different value than stored (a faulty store). */
  tamperReads: boolean;
  /**
   * When set, the server is "gone" once this many versions were added: every later call fails
   * UNAVAILABLE (a run failing part-way). Reset to undefined to bring it back.
   */
  failAfterAdds: number | undefined;
  stop(): Promise<void>;
}

type Call<T> = grpc.ServerUnaryCall<T, unknown>;
type Callback = grpc.sendUnaryData<unknown>;
const fail = (callback: Callback, code: grpc.status, details: string) =>
  callback({ code, details, name: "Error", message: details } as grpc.ServiceError, null);

/**
 * A local google.cloud.secretmanager.v1.SecretManagerService (the methods aztec-butler uses:
 * CreateSecret, GetSecret, AddSecretVersion, AccessSecretVersion, DestroySecretVersion), from the
 * client package's own service.proto, on plaintext gRPC on a free loopback port. Everything else
 * answers UNIMPLEMENTED.
 */
export async function startSecretManagerServer(): Promise<SecretManagerServer> {
  const definition = protoLoader.loadSync("google/cloud/secretmanager/v1/service.proto", {
    includeDirs: [clientProtos, gaxProtos],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: {
        secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } };
      };
    };
  };
  const secrets = new Map<string, StoredSecret>();
  const calls: string[] = [];
  const state = { tamperReads: false, failAfterAdds: undefined as number | undefined, adds: 0 };
  const gone = (callback: Callback): boolean => {
    if (state.failAfterAdds === undefined || state.adds < state.failAfterAdds) return false;
    fail(callback, grpc.status.UNAVAILABLE, "Connection dropped (the test server is gone)");
    return true;
  };
  const versionOf = (name: string): StoredVersion | "no-secret" | undefined => {
    const match = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    const secret = match && secrets.get(match[1]!);
    if (!secret) return "no-secret";
    const live = secret.versions.filter((v) => v.state !== "DESTROYED");
    if (match[2] === "latest")
      return secret.versions.filter((v) => v.state === "ENABLED").at(-1) ?? live.at(-1);
    return secret.versions.find((v) => v.name === name);
  };
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.secretmanager.v1.SecretManagerService.service, {
    CreateSecret(
      call: Call<{ parent: string; secretId: string; secret: { labels: Record<string, string> } }>,
      callback: Callback,
    ) {
      const name = `${call.request.parent}/secrets/${call.request.secretId}`;
      calls.push(`CreateSecret ${name}`);
      if (gone(callback)) return;
      if (secrets.has(name))
        return fail(callback, grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
      const secret = { name, labels: { ...call.request.secret?.labels }, versions: [] };
      secrets.set(name, secret);
      callback(null, { name, labels: secret.labels, replication: { automatic: {} } });
    },
    GetSecret(call: Call<{ name: string }>, callback: Callback) {
      calls.push(`GetSecret ${call.request.name}`);
      if (gone(callback)) return;
      const secret = secrets.get(call.request.name);
      if (!secret)
        return fail(callback, grpc.status.NOT_FOUND, `Secret [${call.request.name}] not found.`);
      callback(null, { name: secret.name, labels: secret.labels });
    },
    AddSecretVersion(
      call: Call<{ parent: string; payload: { data: Buffer } }>,
      callback: Callback,
    ) {
      calls.push(`AddSecretVersion ${call.request.parent}`);
      if (gone(callback)) return;
      const secret = secrets.get(call.request.parent);
      if (!secret)
        return fail(callback, grpc.status.NOT_FOUND, `Secret [${call.request.parent}] not found.`);
      const version: StoredVersion = {
        name: `${secret.name}/versions/${secret.versions.length + 1}`,
        data: Buffer.from(call.request.payload.data),
        state: "ENABLED",
      };
      secret.versions.push(version);
      state.adds++;
      callback(null, { name: version.name, state: "ENABLED" });
    },
    AccessSecretVersion(call: Call<{ name: string }>, callback: Callback) {
      calls.push(`AccessSecretVersion ${call.request.name}`);
      if (gone(callback)) return;
      const version = versionOf(call.request.name);
      if (version === "no-secret")
        return fail(callback, grpc.status.NOT_FOUND, `Secret [${call.request.name}] not found.`);
      if (!version)
        return fail(
          callback,
          grpc.status.NOT_FOUND,
          `Secret Version [${call.request.name}] not found.`,
        );
      if (version.state !== "ENABLED") {
        return fail(
          callback,
          grpc.status.FAILED_PRECONDITION,
          `Secret Version [${version.name}] is in ${version.state} state.`,
        );
      }
      const data = state.tamperReads
        ? Buffer.concat([version.data, Buffer.from("00")])
        : version.data;
      callback(null, { name: version.name, payload: { data } });
    },
    DestroySecretVersion(call: Call<{ name: string }>, callback: Callback) {
      calls.push(`DestroySecretVersion ${call.request.name}`);
      const version = versionOf(call.request.name);
      if (!version || version === "no-secret")
        return fail(callback, grpc.status.NOT_FOUND, "not found");
      version.state = "DESTROYED";
      version.data = Buffer.alloc(0);
      callback(null, { name: version.name, state: "DESTROYED" });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    secrets,
    calls,
    get tamperReads() {
      return state.tamperReads;
    },
    set tamperReads(value: boolean) {
      state.tamperReads = value;
    },
    get failAfterAdds() {
      return state.failAfterAdds;
    },
    set failAfterAdds(value: number | undefined) {
      state.failAfterAdds = value;
      state.adds = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
