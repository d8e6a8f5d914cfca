/**
 * Safe{Wallet} Transaction Builder batch files: what a multisig imports to propose add-keys' and
 * drip-queue's transactions (one file per transaction, because the Transaction Builder executes a
 * file as one (MultiSend) transaction, which must fit EIP-7825's cap itself) or fund-publishers'
 * transfers.
 *
 * The registry calls are written as the builder writes a contract call itself, so that signers see
 * what they sign (the method and every argument, not opaque hex): `data: null`, `contractMethod`
 * (the ABI entry) and `contractInputsValues` (each argument as a string, tuples as JSON). Every
 * file's `meta.checksum` is computed the builder's way (builderChecksum), so the builder does not
 * warn on import.
 */
import {
  decodeFunctionData,
  keccak256,
  stringToBytes,
  type AbiFunction,
  type AbiParameter,
  type Address,
  type Hex,
} from "viem";
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import { refuseUnwritableTargets, toJsonText, type PlannedWrite } from "./safe-write.js";

/** An ABI input as the builder keeps it (components for tuples). */
export interface BuilderContractInput {
  internalType: string;
  name: string;
  type: string;
  components?: BuilderContractInput[];
}

export interface BuilderContractMethod {
  inputs: BuilderContractInput[];
  name: string;
  payable: boolean;
}

/**
 * A contract call as the builder writes one itself: `data` null, the builder encodes the call
 * from `contractMethod` and `contractInputsValues` (and shows both to the signers).
 */
export interface SafeContractCall {
  to: Address;
  value: string;
  data: null;
  contractMethod: BuilderContractMethod;
  contractInputsValues: Record<string, string>;
}

/** A plain ETH transfer (fund-publishers): data "0x". */
export interface SafeTransaction {
  to: Address;
  /** Wei, as a decimal string. */
  value: string;
  data: Hex;
}

export interface SafeTransactionBuilderBatch {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    /**
     * Always null: the builder nulls the name before it hashes (a batch can be renamed), so with
     * a null name the checksum is the same whether a reader follows the builder's code or hashes
     * the file as written. The batch's title leads the description instead.
     */
    name: null;
    description: string;
    createdFromSafeAddress?: Address;
    /** The builder's own (builderChecksum): it does not warn on import. */
    checksum: Hex;
  };
  transactions: (SafeTransaction | SafeContractCall)[];
}

/**
 * One Transaction Builder file: what the builder executes as one (MultiSend) transaction. Every
 * command's files are built here, so the format's rules live in one place: `meta.checksum` is
 * the builder's own. `safe`, when known, is the multisig that is to execute it (the builder shows
 * it; it is not required on import).
 */
export function safeTransactionBuilderBatch(input: {
  chainId: number;
  createdAt: number;
  name: string;
  description: string;
  safe?: Address;
  transactions: readonly (SafeTransaction | SafeContractCall)[];
}): SafeTransactionBuilderBatch {
  const batch = {
    version: "1.0" as const,
    chainId: String(input.chainId),
    createdAt: input.createdAt,
    meta: {
      name: null,
      description: `${input.name}: ${input.description}`,
      ...(input.safe === undefined ? {} : { createdFromSafeAddress: input.safe }),
    },
    transactions: input.transactions.map((tx) =>
      tx.data === null
        ? {
            to: tx.to,
            value: tx.value,
            data: null,
            contractMethod: tx.contractMethod,
            contractInputsValues: tx.contractInputsValues,
          }
        : { to: tx.to, value: tx.value, data: tx.data },
    ),
  };
  return { ...batch, meta: { ...batch.meta, checksum: builderChecksum(batch) } };
}

/** `<prefix>-<i>-of-<n>.json` for i = 1..n. */
export function safeTransactionBuilderFileNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}-of-${count}.json`);
}

/** `<prefix>-<i>-of-<n>.json` for some i and n: the names --safe-tx-builder may write. */
export function isSafeTransactionBuilderFileName(prefixBase: string, name: string): boolean {
  if (!name.startsWith(`${prefixBase}-`)) return false;
  return /^[1-9][0-9]*-of-[1-9][0-9]*\.json$/.test(name.slice(prefixBase.length + 1));
}

/**
 * What can be known of `--safe-tx-builder <prefix>`'s files before the chain says how many there
 * are: their directory exists, and no file of theirs that exists already (`<prefix>-<i>-of-<n>.json`
 * for any i and n) is an input of the run or anything but a regular file. Checked again when
 * they are written.
 */
export async function refuseUnwritableSafeTransactionBuilderFiles(prefix: string): Promise<void> {
  const directory = dirname(prefix);
  const base = basename(prefix);
  // A name in a missing directory: refuseUnwritableTargets says so.
  const names = await readdir(directory).catch(() => undefined);
  const existing = (names ?? [])
    .filter((name) => isSafeTransactionBuilderFileName(base, name))
    .map((name) => join(directory, name));
  const targets = existing.length > 0 ? existing : [`${prefix}-1-of-1.json`];
  // Whether an existing one would be replaced depends on how many there are: --force is
  // checked when they are written.
  await refuseUnwritableTargets(targets.map((path) => ({ path, overwrite: true })));
}

/**
 * The Transaction Builder's serialisation of a JSON value, which its checksum hashes: an object is
 * `{` + the JSON of its sorted key array + each value's serialisation followed by `,` + `}`, an
 * array `[` + its elements' serialisations joined by `,` + `]`, anything else its JSON (undefined
 * as null).
 */
export function builderSerialization(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => builderSerialization(v)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${JSON.stringify(keys)}${keys.map((k) => `${builderSerialization(record[k])},`).join("")}}`;
  }
  return value === undefined ? "null" : JSON.stringify(value);
}

/**
 * `meta.checksum` as the Transaction Builder computes and checks it on import: keccak256 of the
 * UTF-8 bytes of builderSerialization of the file without `meta.checksum` and with `meta.name` as
 * null (the builder leaves the name out, so that a batch can be renamed).
 */
export function builderChecksum(batch: {
  meta: Record<string, unknown> & { checksum?: unknown };
}): Hex {
  const { checksum: _checksum, ...meta } = batch.meta;
  void _checksum;
  return keccak256(
    stringToBytes(builderSerialization({ ...batch, meta: { ...meta, name: null } })),
  );
}

/** The staking registry's function a call is of (add-keys' addKeysToProvider, drip-queue's drip). */
function registryFunctionOf(callData: Hex): AbiFunction {
  const { functionName } = decodeFunctionData({ abi: stakingRegistryAbi, data: callData });
  return stakingRegistryAbi.find(
    (item) => item.type === "function" && item.name === functionName,
  )! as AbiFunction;
}

/** The ABI entry as the builder writes it. */
/**
 * Solidity's internalType of the registry's structs, by their fields (a human-readable ABI, as
 * parseAbi reads it, keeps no struct names): what solc writes in the registry's ABI, and so what
 * the builder shows for the argument.
 */
const structNames: Readonly<Record<string, string>> = {
  "attester,publicKeyG1,publicKeyG2,proofOfPossession": "struct IStakingRegistry.KeyStore",
  "x,y": "struct G1Point",
  "x0,x1,y0,y1": "struct G2Point",
};

function internalTypeOf(parameter: AbiParameter): string {
  if (parameter.internalType) return parameter.internalType;
  if (!("components" in parameter) || !parameter.type.startsWith("tuple")) return parameter.type;
  const name = structNames[parameter.components.map((c) => c.name).join(",")];
  return name ? `${name}${parameter.type.slice("tuple".length)}` : parameter.type;
}

function builderMethod(abi: AbiFunction): BuilderContractMethod {
  const input = (parameter: AbiParameter): BuilderContractInput => ({
    internalType: internalTypeOf(parameter),
    name: parameter.name ?? "",
    type: parameter.type,
    ...("components" in parameter ? { components: parameter.components.map(input) } : {}),
  });
  return {
    inputs: abi.inputs.map(input),
    name: abi.name,
    payable: abi.stateMutability === "payable",
  };
}

/** A decoded argument as plain JSON for the builder: numbers as decimal strings, tuples as arrays. */
function builderJson(value: unknown, parameter: AbiParameter): unknown {
  if (typeof value === "bigint") return value.toString();
  const arrayOf = /^(.*)\[\d*\]$/.exec(parameter.type);
  if (arrayOf && Array.isArray(value)) {
    const element = { ...parameter, type: arrayOf[1]! } as AbiParameter;
    return value.map((v) => builderJson(v, element));
  }
  if (parameter.type === "tuple" && "components" in parameter) {
    const record = value as Record<string, unknown> & unknown[];
    return parameter.components.map((component, i) =>
      builderJson(Array.isArray(value) ? record[i] : record[component.name!], component),
    );
  }
  return value;
}

/** Each argument of `callData` as the builder's form field holds it: scalars as is, the rest as JSON. */
function builderInputValues(abi: AbiFunction, callData: Hex): Record<string, string> {
  const { args } = decodeFunctionData({ abi: [abi], data: callData });
  return Object.fromEntries(
    abi.inputs.map((parameter, i) => {
      const value = builderJson((args ?? [])[i], parameter);
      return [parameter.name!, typeof value === "string" ? value : JSON.stringify(value)];
    }),
  );
}

/** A call for the provider admin to send, and what it does (for the file's description). */
export interface AdminTransaction {
  contractToCall: Address;
  callData: Hex;
  /** "addKeysToProvider: 73 validators for staking provider 2". */
  description: string;
}

/**
 * One batch file per registry call, in sending order, each a contract call the builder shows;
 * `command` names the files' maker.
 */
export function safeTransactionBuilderBatches(input: {
  command: string;
  chainId: number;
  safe: Address;
  createdAt: number;
  transactions: readonly AdminTransaction[];
}): SafeTransactionBuilderBatch[] {
  const n = input.transactions.length;
  return input.transactions.map((tx, i) => {
    const method = registryFunctionOf(tx.callData);
    return safeTransactionBuilderBatch({
      chainId: input.chainId,
      createdAt: input.createdAt,
      name: `aztec-butler ${input.command} ${i + 1} of ${n}`,
      description: `${tx.description} (transaction ${i + 1} of ${n}; execute in order)`,
      safe: input.safe,
      transactions: [
        {
          to: tx.contractToCall,
          value: "0",
          data: null,
          contractMethod: builderMethod(method),
          contractInputsValues: builderInputValues(method, tx.callData),
        },
      ],
    });
  });
}

/**
 * A command's calldata files: `--output` (exactly what stdout gets) and, with
 * `--safe-tx-builder <prefix>`, one Safe Transaction Builder file per transaction for the
 * provider admin's multisig. Existing files are replaced only with `force`.
 */
export function adminTransactionWrites(input: {
  command: string;
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
  stdoutJson: string;
  registry: { chainId: number; providerAdmin: Address };
  transactions: readonly AdminTransaction[];
  createdAt?: number;
}): PlannedWrite[] {
  const file = (path: string, content: string): PlannedWrite => ({
    path,
    content,
    overwrite: input.force,
    hint: "pass --force to replace it",
  });
  const writes = input.output === undefined ? [] : [file(input.output, input.stdoutJson)];
  if (input.safeTxBuilder === undefined) return writes;
  const { transactions, registry } = input;
  const names = safeTransactionBuilderFileNames(input.safeTxBuilder, transactions.length);
  const batches = safeTransactionBuilderBatches({
    command: input.command,
    chainId: registry.chainId,
    safe: registry.providerAdmin,
    createdAt: input.createdAt ?? Date.now(),
    transactions,
  });
  return [...writes, ...names.map((path, i) => file(path, toJsonText(batches[i])))];
}

/** add-keys' files: its addKeysToProvider calls, described by how many validators each adds. */
export function addKeysOutputWrites(input: {
  output?: string;
  safeTxBuilder?: string;
  force?: boolean;
  stdoutJson: string;
  registry: { chainId: number; providerAdmin: Address; providerId: bigint };
  transactions: readonly {
    contractToCall: Address;
    callData: Hex;
    attesters: readonly Address[];
  }[];
  createdAt?: number;
}): PlannedWrite[] {
  return adminTransactionWrites({
    ...input,
    command: "add-keys",
    transactions: input.transactions.map((tx) => ({
      contractToCall: tx.contractToCall,
      callData: tx.callData,
      description: addKeysDescription(tx.attesters.length, input.registry.providerId),
    })),
  });
}

/** "addKeysToProvider: 73 validators for staking provider 2". */
export function addKeysDescription(validators: number, providerId: bigint): string {
  return `addKeysToProvider: ${validators} validator${validators === 1 ? "" : "s"} for staking provider ${providerId}`;
}
