/**
 * fill-coinbases' plan: the production key file with every validator that has no coinbase given
 * its split contract from the chain (the StakedWithProvider event's coinbaseSplitContractAddress),
 * everything else of the file as it was. Pure.
 */
import { getAddress } from "viem";
import { ChainRefusalError } from "../errors.js";
import { isZeroHex } from "../../types/primitives.js";
import type { ProductionSource } from "./deployment-plan.js";

type JsonObject = Record<string, unknown>;

export interface CoinbaseFillPlan {
  /** The file to write (a copy of the raw JSON; the input is not changed). */
  content: JsonObject & { validators: JsonObject[] };
  filled: { index: number; attester: string; coinbase: string }[];
  /** Validators with no coinbase and no StakedWithProvider event: not staked yet, left without. */
  notStaked: { index: number; attester: string }[];
  /** Validators whose coinbase already is their split. */
  alreadySet: number;
}

/** `coinbase` placed where the specification's files have it: after publisher (else attester). */
function withCoinbase(validator: JsonObject, coinbase: string): JsonObject {
  if ("coinbase" in validator) return { ...validator, coinbase };
  const after = "publisher" in validator ? "publisher" : "attester";
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(validator)) {
    result[key] = value;
    if (key === after) result.coinbase = coinbase;
  }
  if (!("coinbase" in result)) result.coinbase = coinbase;
  return result;
}

/**
 * Refuses (ChainRefusalError, naming the validator and both addresses) any validator whose
 * non-zero coinbase — its own, or schemaVersion 2's file-wide default — is not its split.
 * `splits`: lowercase attester → its split contract.
 */
export function planCoinbaseFill(
  production: ProductionSource,
  splits: ReadonlyMap<string, string>,
): CoinbaseFillPlan {
  const filled: CoinbaseFillPlan["filled"] = [];
  const notStaked: CoinbaseFillPlan["notStaked"] = [];
  let alreadySet = 0;
  const validators = production.raw.validators.map((raw, index) => {
    const validator = production.validators[index]!;
    const attester = getAddress(validator.attester.eth);
    const split = splits.get(attester.toLowerCase());
    const own =
      validator.coinbase !== undefined && !isZeroHex(validator.coinbase)
        ? validator.coinbase
        : undefined;
    const inherited =
      own === undefined &&
      production.defaultCoinbase !== undefined &&
      !isZeroHex(production.defaultCoinbase)
        ? production.defaultCoinbase
        : undefined;
    const current = own ?? inherited;
    if (current !== undefined) {
      if (split !== undefined && current.toLowerCase() !== split.toLowerCase()) {
        throw new ChainRefusalError(
          "COINBASE_CONFLICT",
          `attester ${attester}'s coinbase is ${getAddress(current)}${inherited ? " (the file's default coinbase)" : ""}, ` +
            `but the chain's StakedWithProvider event gives it the split contract ${getAddress(split)}; ` +
            "fix the file (rewards would go to the wrong address); nothing was written",
          { file: production.file, index, field: "coinbase" },
        );
      }
      if (split !== undefined) alreadySet++;
      return raw;
    }
    if (split === undefined) {
      notStaked.push({ index, attester });
      return raw;
    }
    const coinbase = getAddress(split);
    filled.push({ index, attester, coinbase });
    return withCoinbase(raw, coinbase);
  });
  return { content: { ...production.raw, validators }, filled, notStaked, alreadySet };
}
