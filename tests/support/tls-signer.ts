/**
 * A remote signer behind TLS that requires a client certificate: a local HTTPS proxy in front of
 * an eth1 JSON-RPC signer (anvil), with a test CA, a server certificate for 127.0.0.1 and a
 * client certificate in a PKCS#12 file with a password, all made with the machine's `openssl`.
 *
 *   const certs = makeTestCertificates(dir, "the password");   // undefined: no openssl (skip)
 *   const signer = await startTlsSigner(anvil.rpcUrl, certs);  // https://127.0.0.1:<port>
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

export interface TestCertificates {
  caPem: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  /** The client's key and certificate, with the CA, in PKCS#12 (what certPath names). */
  clientP12Path: string;
  /** The same client certificate without the CA in the file (its server cannot be trusted). */
  clientP12WithoutCaPath: string;
}

/** Why openssl cannot be used here, or undefined. */
export function opensslMissingReason(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "skipping TLS client-certificate tests: the machine has no openssl to make certificates";
  }
}

export function makeTestCertificates(dir: string, password: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=butler test CA",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  for (const [name, subject, ext] of [
    ["server", "/CN=127.0.0.1", ["-extfile", "server.ext"]],
    ["client", "/CN=butler test client", []],
  ] as const) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      ...ext,
    );
  }
  const pass = `pass:${password}`;
  openssl(
    "pkcs12",
    "-export",
    "-in",
    "client.pem",
    "-inkey",
    "client.key",
    "-certfile",
    "ca.pem",
    "-passout",
    pass,
    "-out",
    "client.p12",
  );
  openssl(
    "pkcs12",
    "-export",
    "-in",
    "client.pem",
    "-inkey",
    "client.key",
    "-passout",
    pass,
    "-out",
    "client-no-ca.p12",
  );
  return {
    caPem: readFileSync(join(dir, "ca.pem")),
    serverKey: readFileSync(join(dir, "server.key")),
    serverCert: readFileSync(join(dir, "server.pem")),
    clientP12Path: join(dir, "client.p12"),
    clientP12WithoutCaPath: join(dir, "client-no-ca.p12"),
  };
}

export interface TlsSigner {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Requests forwarded (those with a certificate the CA signed). */
  readonly forwarded: number;
  stop(): Promise<void>;
}

/** An HTTPS server that refuses any client without a certificate from the test CA, forwarding to `upstreamUrl`. */
export async function startTlsSigner(
  upstreamUrl: string,
  certs: TestCertificates,
): Promise<TlsSigner> {
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server = https.createServer(
    {
      key: certs.serverKey,
      cert: certs.serverCert,
      ca: certs.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        forwarded++;
        try {
          const answer = await fetch(upstreamUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: Buffer.concat(chunks),
          });
          const text = await answer.text();
          res.writeHead(answer.status, { "content-type": "application/json" });
          res.end(text);
        } catch {
          res.writeHead(502).end("upstream unavailable");
        }
      });
    },
  );
  server.on("secureConnection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
