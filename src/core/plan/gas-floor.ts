/**
 * The least gas a transaction can cost, from what it is: the plausibility floor every
 * eth_estimateGas answer is checked against (a node answering less is not believed: an estimate
 * of 0 or 1 would otherwise become a transaction no chain mines). Pure.
 */
import { hexToBytes, type Hex } from "viem";

/** Every transaction's intrinsic cost. */
export const TRANSACTION_BASE_GAS = 21_000n;
/** EIP-2028: calldata costs 4 gas a zero byte, 16 a non-zero byte. */
export const CALLDATA_ZERO_BYTE_GAS = 4n;
export const CALLDATA_NONZERO_BYTE_GAS = 16n;
/** EIP-7623 (Prague): calldata costs at least 10 gas a token (a zero byte 1 token, a non-zero 4). */
export const CALLDATA_FLOOR_GAS_PER_TOKEN = 10n;
/** SSTORE of a fresh slot (zero to non-zero, 20,000) plus its cold access (EIP-2929, 2,100). */
export const FRESH_STORAGE_WORD_GAS = 22_100n;
/**
 * Storage words the staking registry writes per key it enqueues: the registration tuple's attester, G1 (2),
 * G2 (4) and proof of possession (2) words, each into a fresh slot of the queue (indices only grow).
 * On Aztec's real registry 150 keys cost about 31M gas, ~207k a key (../shared/recipes).
 */
export const REGISTRY_STORAGE_WORDS_PER_KEY = 9n;

/** The calldata's zero and non-zero bytes. */
function calldataBytes(data: Hex): { zero: bigint; nonZero: bigint } {
  let zero = 0n;
  let nonZero = 0n;
  for (const byte of hexToBytes(data)) {
    if (byte === 0) zero++;
    else nonZero++;
  }
  return { zero, nonZero };
}

/**
 * The least a transaction with `data` as calldata that writes `freshStorageWords` fresh storage
 * slots can cost: 21,000 + max(EIP-2028 calldata + the storage, EIP-7623's calldata floor).
 */
export function minimumTransactionGas(data: Hex, freshStorageWords: bigint): bigint {
  const { zero, nonZero } = calldataBytes(data);
  const standard =
    zero * CALLDATA_ZERO_BYTE_GAS +
    nonZero * CALLDATA_NONZERO_BYTE_GAS +
    freshStorageWords * FRESH_STORAGE_WORD_GAS;
  const floor = (zero + 4n * nonZero) * CALLDATA_FLOOR_GAS_PER_TOKEN;
  return TRANSACTION_BASE_GAS + (standard > floor ? standard : floor);
}

/** The least an addKeysToProvider call of `keys` keys with calldata `data` can cost. */
export function minimumAddKeysGas(data: Hex, keys: number): bigint {
  return minimumTransactionGas(data, BigInt(keys) * REGISTRY_STORAGE_WORDS_PER_KEY);
}
