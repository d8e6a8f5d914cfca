/**
 * The two calls add-keys makes to Aztec's contracts, copied from @aztec/l1-artifacts (GSEAbi and
 * RollupAbi; a unit test checks they still match). The artifacts package is a devDependency, so
 * the CLI carries these fragments itself.
 */

import { g1PointAbi as g1Point } from "./bn254.js";

/** GSE (governance staking escrow): the BN254 point a validator's BLS key signs to register. */
export const gseAbi = [
  {
    type: "function",
    name: "getRegistrationDigest",
    inputs: [{ name: "_publicKey", ...g1Point }],
    outputs: [{ name: "", ...g1Point }],
    stateMutability: "view",
  },
] as const;

/** Rollup: where its GSE lives, used when AZTEC_GSE_ADDRESS is not configured. */
export const rollupAbi = [
  {
    type: "function",
    name: "getGSE",
    inputs: [],
    outputs: [{ name: "", type: "address", internalType: "contract GSE" }],
    stateMutability: "view",
  },
] as const;
