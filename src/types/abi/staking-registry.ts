/**
 * The subset of the staking provider registry's ABI that aztec-butler reads and encodes.
 *
 * The real registry keeps one FIFO queue of attester key stores per provider. Queue indices are
 * half-open: entries live at `getFirstIndexInQueue(id)` .. `getLastIndexInQueue(id) - 1`, and
 * `getProviderQueueLength(id)` equals their difference.
 */

import { g1PointAbi as g1Point, g2PointAbi as g2Point } from "./bn254.js";

const keyStoreComponents = [
  { name: "attester", type: "address", internalType: "address" },
  { name: "publicKeyG1", ...g1Point },
  { name: "publicKeyG2", ...g2Point },
  { name: "proofOfPossession", ...g1Point },
] as const;

export const stakingRegistryAbi = [
  {
    type: "function",
    name: "ROLLUP_REGISTRY",
    stateMutability: "view",
    inputs: [],
    outputs: [{ name: "", type: "address", internalType: "address" }],
  },
  {
    type: "function",
    name: "registerProvider",
    stateMutability: "nonpayable",
    inputs: [
      { name: "_providerAdmin", type: "address", internalType: "address" },
      { name: "_providerTakeRate", type: "uint16", internalType: "uint16" },
      { name: "_providerRewardsRecipient", type: "address", internalType: "address" },
    ],
    outputs: [{ name: "", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "providerConfigurations",
    stateMutability: "view",
    inputs: [{ name: "", type: "uint256", internalType: "uint256" }],
    outputs: [
      { name: "providerAdmin", type: "address", internalType: "address" },
      { name: "providerTakeRate", type: "uint16", internalType: "uint16" },
      { name: "providerRewardsRecipient", type: "address", internalType: "address" },
    ],
  },
  {
    type: "function",
    name: "nextProviderIdentifier",
    stateMutability: "view",
    inputs: [],
    outputs: [{ name: "", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "addKeysToProvider",
    stateMutability: "nonpayable",
    inputs: [
      { name: "_providerIdentifier", type: "uint256", internalType: "uint256" },
      {
        name: "_keyStores",
        type: "tuple[]",
        internalType: "struct IStakingRegistry.KeyStore[]",
        components: keyStoreComponents,
      },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "getProviderQueueLength",
    stateMutability: "view",
    inputs: [{ name: "_providerIdentifier", type: "uint256", internalType: "uint256" }],
    outputs: [{ name: "", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "getFirstIndexInQueue",
    stateMutability: "view",
    inputs: [{ name: "_providerIdentifier", type: "uint256", internalType: "uint256" }],
    outputs: [{ name: "", type: "uint128", internalType: "uint128" }],
  },
  {
    type: "function",
    name: "getLastIndexInQueue",
    stateMutability: "view",
    inputs: [{ name: "_providerIdentifier", type: "uint256", internalType: "uint256" }],
    outputs: [{ name: "", type: "uint128", internalType: "uint128" }],
  },
  {
    type: "function",
    name: "getValueAtIndexInQueue",
    stateMutability: "view",
    inputs: [
      { name: "_providerIdentifier", type: "uint256", internalType: "uint256" },
      { name: "_index", type: "uint128", internalType: "uint128" },
    ],
    outputs: [
      {
        name: "",
        type: "tuple",
        internalType: "struct IStakingRegistry.KeyStore",
        components: keyStoreComponents,
      },
    ],
  },
  {
    type: "function",
    name: "dripProviderQueue",
    stateMutability: "nonpayable",
    inputs: [
      { name: "_providerIdentifier", type: "uint256", internalType: "uint256" },
      { name: "_numberOfKeysToDrip", type: "uint256", internalType: "uint256" },
    ],
    outputs: [],
  },
] as const;

/**
 * Errors a registry's addKeysToProvider may revert with, to decode a failed estimate. The real
 * registry's source is not public: these are the ones its stand-in uses (test-contracts/); any
 * other custom error is shown by its selector, a require message or a panic as such.
 */
export const stakingRegistryErrorsAbi = [
  {
    type: "error",
    name: "NotProviderAdmin",
    inputs: [
      { name: "providerIdentifier", type: "uint256", internalType: "uint256" },
      { name: "caller", type: "address", internalType: "address" },
    ],
  },
  {
    type: "error",
    name: "ProviderDoesNotExist",
    inputs: [{ name: "providerIdentifier", type: "uint256", internalType: "uint256" }],
  },
  { type: "error", name: "ZeroAddress", inputs: [] },
] as const;

/** Registry addresses by L1 chain id, used when STAKING_REGISTRY_ADDRESS is not set. */
export const defaultStakingRegistryByChainId: Readonly<Record<number, `0x${string}`>> = {
  11155111: "0xc3860c45e5F0b1eF3000dbF93149756f16928ADB",
  1: "0x042dF8f42790d6943F41C25C2132400fd727f452",
};
