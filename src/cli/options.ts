import { UsageError } from "../core/errors.js";

/**
 * The argParser of an option taking a positive whole number (`--max-keys-per-tx <n>`): one
 * message for every such option, a UsageError (exit 64) naming the option and the value given.
 */
export function positiveIntegerOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^[1-9][0-9]*$/.test(value.trim())) {
      throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} is far too large, got "${value}"`);
    return n;
  };
}

/** The argParser of an option taking a block number (`--from-block <n>`), in the same style. */
export function blockNumberOption(flag: string): (value: string) => bigint {
  return (value) => {
    if (!/^[0-9]+$/.test(value.trim())) {
      throw new UsageError(`${flag} must be a block number (a whole number), got "${value}"`);
    }
    return BigInt(value.trim());
  };
}
