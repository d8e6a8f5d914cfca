/**
 * The calls aztec-butler makes to Aztec's rollup and Registry, copied verbatim from
 * @aztec/l1-artifacts (RollupAbi, RegistryAbi; a unit test checks they still match). The artifacts
 * package is a devDependency, so the CLI carries these fragments itself.
 */

/** Rollup: its GSE, its entry queue, and what it knows about an attester. */
export const aztecRollupAbi = [
  {
    type: "function",
    name: "getGSE",
    inputs: [],
    outputs: [
      {
        name: "",
        type: "address",
        internalType: "contract GSE",
      },
    ],
    stateMutability: "view",
  },
  {
    type: "function",
    name: "getEntryQueueLength",
    inputs: [],
    outputs: [
      {
        name: "",
        type: "uint256",
        internalType: "uint256",
      },
    ],
    stateMutability: "view",
  },
  {
    type: "function",
    name: "getEntryQueueAt",
    inputs: [
      {
        name: "_index",
        type: "uint256",
        internalType: "uint256",
      },
    ],
    outputs: [
      {
        name: "",
        type: "tuple",
        internalType: "struct DepositArgs",
        components: [
          {
            name: "attester",
            type: "address",
            internalType: "address",
          },
          {
            name: "withdrawer",
            type: "address",
            internalType: "address",
          },
          {
            name: "publicKeyInG1",
            type: "tuple",
            internalType: "struct G1Point",
            components: [
              {
                name: "x",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "y",
                type: "uint256",
                internalType: "uint256",
              },
            ],
          },
          {
            name: "publicKeyInG2",
            type: "tuple",
            internalType: "struct G2Point",
            components: [
              {
                name: "x0",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "x1",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "y0",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "y1",
                type: "uint256",
                internalType: "uint256",
              },
            ],
          },
          {
            name: "proofOfPossession",
            type: "tuple",
            internalType: "struct G1Point",
            components: [
              {
                name: "x",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "y",
                type: "uint256",
                internalType: "uint256",
              },
            ],
          },
          {
            name: "moveWithLatestRollup",
            type: "bool",
            internalType: "bool",
          },
        ],
      },
    ],
    stateMutability: "view",
  },
  {
    type: "function",
    name: "getAttesterView",
    inputs: [
      {
        name: "_attester",
        type: "address",
        internalType: "address",
      },
    ],
    outputs: [
      {
        name: "",
        type: "tuple",
        internalType: "struct AttesterView",
        components: [
          {
            name: "status",
            type: "uint8",
            internalType: "enum Status",
          },
          {
            name: "effectiveBalance",
            type: "uint256",
            internalType: "uint256",
          },
          {
            name: "exit",
            type: "tuple",
            internalType: "struct Exit",
            components: [
              {
                name: "withdrawalId",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "amount",
                type: "uint256",
                internalType: "uint256",
              },
              {
                name: "exitableAt",
                type: "uint256",
                internalType: "Timestamp",
              },
              {
                name: "recipientOrWithdrawer",
                type: "address",
                internalType: "address",
              },
              {
                name: "isRecipient",
                type: "bool",
                internalType: "bool",
              },
              {
                name: "exists",
                type: "bool",
                internalType: "bool",
              },
            ],
          },
          {
            name: "config",
            type: "tuple",
            internalType: "struct AttesterConfig",
            components: [
              {
                name: "publicKey",
                type: "tuple",
                internalType: "struct G1Point",
                components: [
                  {
                    name: "x",
                    type: "uint256",
                    internalType: "uint256",
                  },
                  {
                    name: "y",
                    type: "uint256",
                    internalType: "uint256",
                  },
                ],
              },
              {
                name: "withdrawer",
                type: "address",
                internalType: "address",
              },
            ],
          },
        ],
      },
    ],
    stateMutability: "view",
  },
] as const;

/** Aztec's Registry: which rollup is canonical. */
export const aztecRegistryAbi = [
  {
    type: "function",
    name: "getCanonicalRollup",
    inputs: [],
    outputs: [
      {
        name: "",
        type: "address",
        internalType: "contract IHaveVersion",
      },
    ],
    stateMutability: "view",
  },
] as const;

/** getAttesterView status (StakingLib's Status enum). */
export const ATTESTER_STATUS_NAMES = ["NONE", "VALIDATING", "ZOMBIE", "EXITING"] as const;
