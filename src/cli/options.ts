import { parseEther } from "viem";
import { UsageError } from "../core/errors.js";

/**
 * The argParser of an option taking a positive whole number (`--max-keys-per-tx <n>`): one
 * message for every such option, a UsageError (exit 64) naming the option and the value given.
 */
export function positiveIntegerOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^[1-9][0-9]*$/.test(value.trim())) {
      throw new UsageError(
        "INVALID_OPTION_VALUE",
        `${flag} must be a positive whole number, got "${value}"`,
      );
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n))
      throw new UsageError("INVALID_OPTION_VALUE", `${flag} is far too large, got "${value}"`);
    return n;
  };
}

/** The argParser of an option taking a block number (`--from-block <n>`), in the same style. */
export function blockNumberOption(flag: string): (value: string) => bigint {
  return (value) => {
    if (!/^[0-9]+$/.test(value.trim())) {
      throw new UsageError(
        "INVALID_OPTION_VALUE",
        `${flag} must be a block number (a whole number), got "${value}"`,
      );
    }
    return BigInt(value.trim());
  };
}

/**
 * The argParser of an option taking an amount of ETH (`--max-total-eth <eth>`): a positive
 * decimal number of at most 18 decimals (1 wei), returned in wei. No exponents, signs or units:
 * an amount of money is typed as it is read.
 */
export function ethAmountOption(flag: string): (value: string) => bigint {
  return (value) => {
    const text = value.trim();
    if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
      throw new UsageError(
        "INVALID_OPTION_VALUE",
        `${flag} must be an amount of ETH such as 0.5, got "${value}"`,
      );
    }
    if ((text.split(".")[1] ?? "").length > 18) {
      throw new UsageError(
        "INVALID_OPTION_VALUE",
        `${flag} has more than 18 decimals (1 wei is 0.000000000000000001), got "${value}"`,
      );
    }
    const wei = parseEther(text);
    if (wei === 0n)
      throw new UsageError(
        "INVALID_OPTION_VALUE",
        `${flag} must be more than 0 ETH, got "${value}"`,
      );
    return wei;
  };
}
