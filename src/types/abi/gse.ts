/**
 * The call add-keys makes to Aztec's GSE, copied from @aztec/l1-artifacts (GSEAbi; a unit test
 * checks it still matches; the rollup's getGSE is in rollup.ts). The artifacts package is a devDependency, so
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
