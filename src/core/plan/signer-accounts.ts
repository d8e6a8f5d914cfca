/**
 * Which remote signer serves each account of a key file, as Aztec's node decides it, and what
 * check-signer makes of the signers' answers. Pure: no I/O.
 *
 * The resolution mirrors @aztec/node-keystore 4.1.2, the node's loader
 * (node_modules/@aztec/node-keystore/src/keystore_manager.ts, and src/schemas.ts for the forms):
 * - createSignerFromEthAccount: an account `{address, remoteSignerUrl, certPath?, certPass?}` is
 *   served by its own URL with its own certificate (none when it gives none, whatever the
 *   default's); a bare address (or an object without remoteSignerUrl) by the default;
 * - createAttesterSigners / createPublisherSigners: the default of a validator's accounts is
 *   `validator.remoteSigner || keystore.remoteSigner`: a validator's own replaces the file's;
 * - createPublisherSigners: the publishers are the validator's `publisher`, else the file's
 *   `publisher`, else the attester itself (checked as the attester already), all with that
 *   validator's default;
 * - a remoteSigner is a URL or `{remoteSignerUrl, certPath?, certPass?}` (schemas.ts
 *   remoteSignerConfigSchema).
 * No signer for an account is what the node refuses too ("No remote signer configuration found
 * for address"): refused here, naming the validator.
 */
import { isAbsolute, join } from "node:path";
import { getAddress } from "viem";
import { InputError, type ErrorLocation } from "../errors.js";

/** A remote signer as the key file gives it; certPath made absolute (relative to the key file). */
export interface RemoteSignerConfig {
  url: string;
  certPath?: string;
  certPass?: string;
}

export type SignerRole = "attester" | "publisher";

/** One account the node will ask a remote signer to sign for. */
export interface SignerAccount {
  /** The address as written. */
  address: string;
  role: SignerRole;
  /** The key file, as the operator named it. */
  file: string;
  /** The validator's index in the file. */
  index: number;
  /** Where the address is: `attester.eth`, `publisher[1]`, `publisher (the file's)`. */
  field: string;
  signer: RemoteSignerConfig;
  /** Where that signer is configured, for errors about it (its certificate). */
  signerSource: ErrorLocation;
}

/** A validated production key file's fields this reads, as written (not transformed). */
export interface SignerKeyFile {
  remoteSigner?: unknown;
  publisher?: unknown;
  validators: readonly { attester: unknown; publisher?: unknown; remoteSigner?: unknown }[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Every attester and publisher of a (schema-checked) key file with the signer that serves it;
 * `keyFileDir` anchors relative certPaths.
 */
export function signerAccountsOf(
  file: string,
  keyFile: SignerKeyFile,
  keyFileDir: string,
): SignerAccount[] {
  const config = (value: unknown, source: ErrorLocation) =>
    value === undefined ? undefined : { signer: remoteSignerConfig(value, keyFileDir), source };
  const fileDefault = config(keyFile.remoteSigner, { file, field: "remoteSigner" });
  const accounts: SignerAccount[] = [];
  keyFile.validators.forEach((validator, index) => {
    const fallback =
      config(validator.remoteSigner, { file, index, field: "remoteSigner" }) ?? fileDefault;
    const add = (account: unknown, role: SignerRole, field: string) => {
      const own =
        isObject(account) && account.remoteSignerUrl !== undefined
          ? config(
              {
                remoteSignerUrl: account.remoteSignerUrl,
                certPath: account.certPath,
                certPass: account.certPass,
              },
              { file, index, field },
            )
          : undefined;
      const served = own ?? fallback;
      const address = isObject(account) ? String(account.address) : String(account);
      if (!served) {
        throw new InputError(
          "NO_REMOTE_SIGNER",
          "no remote signer serves this account (no remoteSignerUrl on it, no remoteSigner on " +
            "the validator or the file); the node would refuse the key file",
          { file, index, field },
        );
      }
      accounts.push({
        address,
        role,
        file,
        index,
        field,
        signer: served.signer,
        signerSource: served.source,
      });
    };
    const attester = validator.attester;
    const eth = isObject(attester) && "eth" in attester ? attester.eth : attester;
    add(eth, "attester", isObject(attester) && "eth" in attester ? "attester.eth" : "attester");
    const [publishers, field] =
      validator.publisher !== undefined
        ? [validator.publisher, "publisher"]
        : [keyFile.publisher, "publisher (the file's)"];
    if (Array.isArray(publishers))
      publishers.forEach((p, i) => add(p, "publisher", `${field}[${i}]`));
    else if (publishers !== undefined) add(publishers, "publisher", field);
  });
  return accounts;
}

function remoteSignerConfig(value: unknown, keyFileDir: string): RemoteSignerConfig {
  if (!isObject(value)) return { url: String(value) };
  const certPath =
    typeof value.certPath === "string"
      ? isAbsolute(value.certPath)
        ? value.certPath
        : join(keyFileDir, value.certPath)
      : undefined;
  const certPass = typeof value.certPass === "string" ? value.certPass : undefined;
  return { url: String(value.remoteSignerUrl), certPath, certPass };
}

/** A signer to ask, with every address it serves (lowercase, each once). */
export interface SignerToAsk {
  /** Identity: URL and certificate (the same URL with another certificate is another session). */
  id: string;
  config: RemoteSignerConfig;
  /** Where it is first configured. */
  source: ErrorLocation;
  addresses: string[];
}

export function signerIdOf(config: RemoteSignerConfig): string {
  return JSON.stringify([config.url, config.certPath ?? null, config.certPass ?? null]);
}

/** The signers of the accounts, in order of first use, each with its addresses. */
export function signersToAsk(accounts: readonly SignerAccount[]): SignerToAsk[] {
  const byId = new Map<string, SignerToAsk & { seen: Set<string> }>();
  for (const account of accounts) {
    const id = signerIdOf(account.signer);
    let signer = byId.get(id);
    if (!signer) {
      signer = {
        id,
        config: account.signer,
        source: account.signerSource,
        addresses: [],
        seen: new Set(),
      };
      byId.set(id, signer);
    }
    const address = account.address.toLowerCase();
    if (!signer.seen.has(address)) {
      signer.seen.add(address);
      signer.addresses.push(address);
    }
  }
  return [...byId.values()].map(({ seen: _seen, ...signer }) => signer);
}

/** What a signer answered, checked. Addresses lowercase. */
export type SignerAnswer =
  | {
      reachable: true;
      /** eth_accounts, each once. */
      listed: ReadonlySet<string>;
      /** For each listed address asked: the address the signature recovers to, or the refusal. */
      signatures: ReadonlyMap<string, { recovered: string } | { refused: string }>;
    }
  | {
      reachable: false;
      /** Why (one line, URL redacted). */
      problem: string;
      /** eth_accounts' length when that much was answered before the failure. */
      listedCount?: number;
    };

export type MissingReason = "NOT_LISTED" | "WRONG_SIGNATURE" | "SIGNER_UNREACHABLE";

/** An account the node could not sign for, once per file, role, address and signer. */
export interface MissingAccount {
  address: string;
  role: SignerRole;
  file: string;
  /** The validators of the file it serves (a publisher serves several). */
  indexes: number[];
  signerId: string;
  reason: MissingReason;
  /** WRONG_SIGNATURE: the address the signature recovers to, or the signer's refusal. */
  signedAs?: string;
  refused?: string;
}

/**
 * Every account that is not held: its signer unreachable, not in its eth_accounts, or listed
 * but its challenge not signed by it (another key's signature, or a refusal to sign).
 */
export function missingSignerAccounts(
  accounts: readonly SignerAccount[],
  answers: ReadonlyMap<string, SignerAnswer>,
): MissingAccount[] {
  const missing = new Map<string, MissingAccount>();
  for (const account of accounts) {
    const signerId = signerIdOf(account.signer);
    const answer = answers.get(signerId);
    if (!answer) throw new Error(`no answer of signer ${signerId}`);
    const address = account.address.toLowerCase();
    let problem: Pick<MissingAccount, "reason" | "signedAs" | "refused"> | undefined;
    if (!answer.reachable) problem = { reason: "SIGNER_UNREACHABLE" };
    else if (!answer.listed.has(address)) problem = { reason: "NOT_LISTED" };
    else {
      const signature = answer.signatures.get(address);
      if (!signature) throw new Error(`no signature asked of ${address}`);
      if ("refused" in signature)
        problem = { reason: "WRONG_SIGNATURE", refused: signature.refused };
      else if (signature.recovered.toLowerCase() !== address)
        problem = { reason: "WRONG_SIGNATURE", signedAs: getAddress(signature.recovered) };
    }
    if (!problem) continue;
    const key = JSON.stringify([account.file, account.role, address, signerId]);
    const known = missing.get(key);
    if (known) {
      if (!known.indexes.includes(account.index)) known.indexes.push(account.index);
      continue;
    }
    missing.set(key, {
      address: getAddress(address),
      role: account.role,
      file: account.file,
      indexes: [account.index],
      signerId,
      ...problem,
    });
  }
  return [...missing.values()];
}

/** check-signer's `--json` document (README). */
export interface SignerCheckDocument {
  ok: boolean;
  signers: { url: string; reachable: boolean; accounts: number | null }[];
  missing: {
    address: string;
    role: SignerRole;
    file: string;
    signer: string;
    reason: MissingReason;
  }[];
}

export function signerCheckDocument(
  signers: readonly { id: string; shownUrl: string }[],
  answers: ReadonlyMap<string, SignerAnswer>,
  missing: readonly MissingAccount[],
): SignerCheckDocument {
  const shown = new Map(signers.map((s) => [s.id, s.shownUrl]));
  return {
    ok: missing.length === 0,
    signers: signers.map(({ id, shownUrl }) => {
      const answer = answers.get(id)!;
      return {
        url: shownUrl,
        reachable: answer.reachable,
        accounts: answer.reachable ? answer.listed.size : (answer.listedCount ?? null),
      };
    }),
    missing: missing.map((m) => ({
      address: m.address,
      role: m.role,
      file: m.file,
      signer: shown.get(m.signerId)!,
      reason: m.reason,
    })),
  };
}
