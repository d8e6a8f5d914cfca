/**
 * Gas: what one transaction may use on today's chains, and eth_estimateGas of many calls at once.
 * The estimates are how the tool proves, before printing anything, that every call succeeds.
 */
import { BaseError, decodeErrorResult, numberToHex, type Abi, type Address, type Hex } from "viem";
import { RpcUnavailableError } from "../errors.js";
import { gasBudgetFor, type GasBudget } from "../plan/gas-budget.js";
import { count } from "../plan/wording.js";

export type { GasBudget } from "../plan/gas-budget.js";
import { isTransportFailure, onChain, toChainError, type ChainClient } from "./client.js";

/** The latest block's gas limit, read once. */
export async function readGasBudget(chain: ChainClient): Promise<GasBudget> {
  const block = await onChain(chain, "reading the latest block's gas limit", () =>
    chain.client.getBlock({ blockTag: "latest" }),
  );
  return gasBudgetFor(block.gasLimit);
}

export interface CallToEstimate {
  to: Address;
  data: Hex;
  /**
   * The least the call can cost (see plan/gas-floor.ts) and what it is, for the message: an
   * estimate below it is not believed.
   */
  minimum?: { gas: bigint; what: string };
}

/** An estimate: the gas, or why the call reverts (decoded), or that it needs more than a block. */
export type GasEstimate =
  { kind: "gas"; gas: bigint } | { kind: "revert"; reason: string } | { kind: "too-large" };

/**
 * eth_estimateGas of each call as sent by `from`, all together (one JSON-RPC batch, RPC_BATCH_SIZE
 * per HTTP request). A revert is decoded with `errorsAbi` (plus Error(string) and Panic); a call
 * that would need more gas than the node allows is "too-large"; transport failures throw, and so
 * does an estimate below the call's `minimum` (an RpcUnavailableError naming eth_estimateGas).
 */
export async function estimateGasOfCalls(
  chain: ChainClient,
  { from, calls, errorsAbi }: { from: Address; calls: readonly CallToEstimate[]; errorsAbi: Abi },
): Promise<GasEstimate[]> {
  const what = "estimating the transactions' gas";
  return onChain(chain, what, () =>
    Promise.all(
      calls.map(async ({ to, data, minimum }): Promise<GasEstimate> => {
        let gas: bigint;
        try {
          gas = BigInt(
            (await chain.client.request({
              method: "eth_estimateGas",
              params: [{ from, to, data }, "latest"],
            })) as Hex,
          );
        } catch (error) {
          if (isTransportFailure(error)) throw toChainError(chain, what, error);
          return classifyFailedEstimate(error, errorsAbi);
        }
        if (minimum !== undefined && gas < minimum.gas) {
          throw new RpcUnavailableError(
            "IMPLAUSIBLE_ESTIMATE",
            `${what}: Ethereum node ${chain.shownUrl} answered eth_estimateGas with ` +
              `${count(gas)} gas for ${minimum.what}, which costs at least ` +
              `${count(minimum.gas)}; is it a real node?`,
          );
        }
        return { kind: "gas", gas };
      }),
    ),
  );
}

const TOO_LARGE =
  /gas required exceeds|exceeds (the )?(block )?gas limit|out of gas|intrinsic gas too high|gas limit reached|tx_gas_limit_cap/i;

function classifyFailedEstimate(error: unknown, errorsAbi: Abi): GasEstimate {
  const data = revertDataOf(error);
  if (data !== undefined && data.length >= 10) {
    return { kind: "revert", reason: decodeRevert(data, errorsAbi) };
  }
  const message =
    error instanceof BaseError ? `${error.details ?? ""} ${error.message}` : String(error);
  if (TOO_LARGE.test(message)) return { kind: "too-large" };
  const details =
    error instanceof BaseError ? (error.details ?? error.shortMessage) : String(error);
  return {
    kind: "revert",
    reason: details.replace(/\s+/g, " ").trim() || "reverted without a reason",
  };
}

/** The revert data a node attached to a failed call (JSON-RPC error.data), if any. */
function revertDataOf(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  let found: Hex | undefined;
  error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) found = data as Hex;
    else if (
      data &&
      typeof data === "object" &&
      typeof (data as { data?: unknown }).data === "string"
    )
      found = (data as { data: Hex }).data;
    return found !== undefined;
  });
  return found;
}

/** "NotProviderAdmin(1, 0x…)", "Error: …" (a require message), "Panic 0x11", or the raw data. */
export function decodeRevert(data: Hex, errorsAbi: Abi): string {
  try {
    const decoded = decodeErrorResult({ abi: errorsAbi, data });
    const args = (decoded.args ?? []).map((a) => String(a));
    if (decoded.errorName === "Error") return args[0] ?? "Error";
    if (decoded.errorName === "Panic") return `Panic(${numberToHex(BigInt(args[0] ?? 0))})`;
    return `${decoded.errorName}(${args.join(", ")})`;
  } catch {
    return `custom error ${data.slice(0, 10)} (data ${data.length > 74 ? `${data.slice(0, 74)}…` : data})`;
  }
}
