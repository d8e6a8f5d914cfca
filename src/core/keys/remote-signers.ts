/**
 * Asking remote signers (web3signer's eth1 JSON-RPC: eth_accounts, eth_sign) whether they hold
 * the accounts a key file gives them, through the chain client's transport: batched, with
 * RPC_TIMEOUT_MS, RPC_RETRIES and every answer checked (verified-fetch.ts) before it is believed.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import https from "node:https";
import { createSecureContext } from "node:tls";
import { getAddress, recoverMessageAddress, toHex, type Hex } from "viem";
import { agentFetch } from "../chain/agent-fetch.js";
import {
  createVerifiedRpcClient,
  isTransportFailure,
  redactUrl,
  toChainError,
  type ChainClient,
  type RpcOptions,
} from "../chain/client.js";
import { InputError, InputMissingError, RpcUnavailableError } from "../errors.js";
import type { SignerAnswer, SignerToAsk } from "../plan/signer-accounts.js";

/** A signer to ask, connected (its client certificate loaded). */
export interface RemoteSignerConnection {
  signer: SignerToAsk;
  /** Scheme, host and port only: paths and user info may hold tokens. */
  shownUrl: string;
  rpc: ChainClient;
  /** HTTP requests sent so far. */
  readonly requests: number;
  close(): void;
}

/**
 * Connects to a signer: its PKCS#12 client certificate (certPath, opened with certPass) is read
 * and checked before any request, so a wrong file or password is named as such.
 */
export async function connectRemoteSigner(
  signer: SignerToAsk,
  rpcOptions: RpcOptions,
): Promise<RemoteSignerConnection> {
  const { url, certPath, certPass } = signer.config;
  const shownUrl = redactUrl(url);
  let agent: https.Agent | undefined;
  if (certPath !== undefined && url.startsWith("https:")) {
    const pfx = await readFile(certPath).catch((error: NodeJS.ErrnoException) => {
      throw new InputMissingError(
        error.code === "ENOENT" ? "NOT_FOUND" : "UNREADABLE",
        `certPath ${certPath} ${error.code === "ENOENT" ? "does not exist" : `cannot be read (${error.code ?? "error"})`}`,
        signer.source,
        { cause: error },
      );
    });
    try {
      createSecureContext({ pfx, passphrase: certPass });
    } catch (error) {
      throw new InputError(
        "CERTIFICATE_UNUSABLE",
        `certPath ${certPath} cannot be opened as a PKCS#12 client certificate with certPass ` +
          `(${(error as Error).message})`,
        signer.source,
        { cause: error },
      );
    }
    agent = new https.Agent({ pfx, passphrase: certPass, keepAlive: true });
  }
  let requests = 0;
  const base: typeof fetch = agent ? agentFetch(agent) : fetch;
  const rpc = createVerifiedRpcClient(url, rpcOptions, {
    fetchFn: (input, init) => {
      requests++;
      return base(input, init);
    },
    shownAs: `remote signer ${shownUrl}`,
    urlSetting: "the key file's remoteSigner",
  });
  return {
    signer,
    shownUrl,
    rpc,
    get requests() {
      return requests;
    },
    close: () => agent?.destroy(),
  };
}

type Request = (args: { method: string; params?: unknown[] }) => Promise<unknown>;

/**
 * One eth_accounts, then an eth_sign of a fresh random challenge (naming the tool and the
 * address) for every asked address the signer lists, all in batches; each signature's signer
 * recovered (EIP-191). A signer that cannot be reached, or answers what cannot be trusted, is
 * unreachable, with the reason: none of its accounts counts as held.
 */
export async function askRemoteSigner(connection: RemoteSignerConnection): Promise<SignerAnswer> {
  const { rpc, signer } = connection;
  const request = rpc.client.request as unknown as Request;
  let listed: Set<string>;
  try {
    const accounts = (await request({ method: "eth_accounts" })) as string[];
    listed = new Set(accounts.map((a) => a.toLowerCase()));
  } catch (error) {
    return {
      reachable: false,
      problem: problemOf(rpc, "asking for its accounts (eth_accounts)", error),
    };
  }
  const asked = signer.addresses.filter((address) => listed.has(address));
  const signatures = new Map<string, { recovered: string } | { refused: string }>();
  try {
    type Signed = { address: string; challenge: Hex; signature: string };
    const answers = await Promise.all(
      asked.map(async (address): Promise<Signed | { address: string; refused: string }> => {
        const challenge = challengeFor(address);
        try {
          const signature = (await request({
            method: "eth_sign",
            params: [address, challenge],
          })) as string;
          return { address, challenge, signature };
        } catch (error) {
          // A JSON-RPC error is the signer's answer: it lists the key but will not sign with it.
          if (isTransportFailure(error)) throw error;
          return { address, refused: firstLine(error) };
        }
      }),
    );
    for (const answer of answers) {
      if ("refused" in answer) {
        signatures.set(answer.address, { refused: answer.refused });
        continue;
      }
      const recovered = await recoverMessageAddress({
        message: { raw: answer.challenge },
        signature: (answer.signature.startsWith("0x")
          ? answer.signature
          : `0x${answer.signature}`) as Hex,
      }).catch(() => {
        throw new RpcUnavailableError(
          "WRONG_SIGNATURE",
          `remote signer ${connection.shownUrl} answered eth_sign for ${getAddress(answer.address)} ` +
            "with a signature no key made",
        );
      });
      signatures.set(answer.address, { recovered: recovered.toLowerCase() });
    }
  } catch (error) {
    return {
      reachable: false,
      problem: problemOf(rpc, "asking it to sign challenges (eth_sign)", error),
      listedCount: listed.size,
    };
  }
  return { reachable: true, listed, signatures };
}

/** UTF-8 text naming the tool and the address, with 32 random bytes: never signed before. */
export function challengeFor(address: string): Hex {
  const text =
    `aztec-butler check-signer: can ${getAddress(address)} sign? ` +
    `challenge 0x${randomBytes(32).toString("hex")}`;
  return toHex(text);
}

function problemOf(rpc: ChainClient, what: string, error: unknown): string {
  if (error instanceof RpcUnavailableError) return error.message;
  const wrapped = toChainError(rpc, what, error);
  if (wrapped instanceof RpcUnavailableError) return wrapped.message;
  // A JSON-RPC error to eth_accounts: whatever it is, it does not serve the node as a signer.
  return `${what}: remote signer ${rpc.shownUrl} refused: ${firstLine(error)}`;
}

/** The signer's own words (a JSON-RPC error's message), on one line. */
function firstLine(error: unknown): string {
  const { details, shortMessage, message } = error as {
    details?: string;
    shortMessage?: string;
    message?: string;
  };
  return (details || shortMessage || message || String(error)).split("\n")[0]!;
}
