/** ABI shapes of Aztec's BN254 structs (BN254Lib's G1Point and G2Point), shared by every ABI here. */
export const g1PointAbi = {
  type: "tuple",
  internalType: "struct G1Point",
  components: [
    { name: "x", type: "uint256", internalType: "uint256" },
    { name: "y", type: "uint256", internalType: "uint256" },
  ],
} as const;

export const g2PointAbi = {
  type: "tuple",
  internalType: "struct G2Point",
  components: [
    { name: "x0", type: "uint256", internalType: "uint256" },
    { name: "x1", type: "uint256", internalType: "uint256" },
    { name: "y0", type: "uint256", internalType: "uint256" },
    { name: "y1", type: "uint256", internalType: "uint256" },
  ],
} as const;
