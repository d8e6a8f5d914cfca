/**
 * Input files for the benchmark: private-key files as `aztec validator-keys new` writes them,
 * production key files (public keys + remoteSigner), public-key files and publisher lists.
 * Keys are random (node:crypto), valid and unique; nothing here is deterministic on purpose:
 * the tool must not be able to profit from a cache.
 */
import { randomBytes } from "node:crypto";
import { getAddress, zeroAddress, type Address, type Hex } from "viem";
import { BN254_FR_MODULUS } from "../src/types/primitives.js";

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const ZERO_FEE_RECIPIENT = `0x${"0".repeat(64)}` as Hex;

const hex32 = (bytes: Buffer): Hex => `0x${bytes.toString("hex")}`;

/** A uniformly random scalar in [1, order), as 0x + 64 hex digits. */
function randomScalar(order: bigint, topMask: number): Hex {
  for (;;) {
    const bytes = randomBytes(32);
    bytes[0]! &= topMask; // cheap rejection sampling: keep only as many top bits as the order has
    const value = BigInt(hex32(bytes));
    if (value !== 0n && value < order) return hex32(bytes);
  }
}

export const randomEthPrivateKey = (): Hex => randomScalar(SECP256K1_ORDER, 0xff);
export const randomBlsPrivateKey = (): Hex => randomScalar(BN254_FR_MODULUS, 0x3f);

/** n distinct values from `make` (lower-cased comparison). */
function distinct(n: number, make: () => Hex, taken = new Set<string>()): Hex[] {
  const out: Hex[] = [];
  while (out.length < n) {
    const value = make();
    if (taken.has(value.toLowerCase())) continue;
    taken.add(value.toLowerCase());
    out.push(value);
  }
  return out;
}

export interface PrivateKeyFileContent {
  schemaVersion: 1;
  validators: {
    attester: { eth: Hex; bls: Hex };
    publisher: Hex;
    feeRecipient: Hex;
    coinbase: Address;
  }[];
}

/** A private-key file with `n` validators: unique random eth/bls attester keys and publisher keys. */
export function makePrivateKeyFile(n: number): PrivateKeyFileContent {
  const eth = distinct(2 * n, randomEthPrivateKey); // attester and publisher keys never collide
  const bls = distinct(n, randomBlsPrivateKey);
  return {
    schemaVersion: 1,
    validators: Array.from({ length: n }, (_, i) => ({
      attester: { eth: eth[i]!, bls: bls[i]! },
      publisher: eth[n + i]!,
      feeRecipient: ZERO_FEE_RECIPIENT,
      coinbase: zeroAddress,
    })),
  };
}

/** `n` distinct random checksummed addresses, none in `taken` (which is extended). */
export function randomAddresses(n: number, taken = new Set<string>()): Address[] {
  return distinct(n, () => getAddress(`0x${randomBytes(20).toString("hex")}`), taken) as Address[];
}

/** `n` distinct random 32-byte values standing in for compressed BLS public keys. */
export function randomBls32(n: number, taken = new Set<string>()): Hex[] {
  return distinct(n, () => hex32(randomBytes(32)), taken);
}

export interface ProductionFileContent {
  schemaVersion: 1;
  remoteSigner: string;
  validators: {
    attester: { eth: Address; bls: Hex };
    publisher: Address;
    coinbase: Address;
    feeRecipient: Hex;
  }[];
}

/**
 * A deployment at scale: a production file with `existing` validators (public keys, non-zero
 * coinbase, remoteSigner), a public-keys file with `fresh` new validators, and `publishers`
 * publisher addresses. All attester addresses and BLS values are unique across both files.
 */
export function makeDeploymentInputs(existing: number, fresh: number, publishers: number) {
  const addresses = new Set<string>();
  const attesters = randomAddresses(existing + fresh, addresses);
  const bls = randomBls32(existing + fresh);
  const publisherAddresses = randomAddresses(publishers, addresses);
  const coinbases = randomAddresses(existing, addresses);
  const production: ProductionFileContent = {
    schemaVersion: 1,
    remoteSigner: "https://web3signer.bench.example:9000",
    validators: Array.from({ length: existing }, (_, i) => ({
      attester: { eth: attesters[i]!, bls: bls[i]! },
      publisher: publisherAddresses[i % publishers]!,
      coinbase: coinbases[i]!,
      feeRecipient: ZERO_FEE_RECIPIENT,
    })),
  };
  const publicKeys = {
    schemaVersion: 1 as const,
    validators: Array.from({ length: fresh }, (_, i) => ({
      attester: { eth: attesters[existing + i]!, bls: bls[existing + i]! },
      feeRecipient: ZERO_FEE_RECIPIENT,
    })),
  };
  return { production, publicKeys, publishers: publisherAddresses };
}
