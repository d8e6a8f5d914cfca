// Loaded by deriveEthAddresses on first use (derive-keys.ts). Its imports are static and named,
// so the worker's bundle holds only what it uses of viem: a dynamic import("viem") keeps every
// export, about 1 MB of JavaScript that each worker parsed before its first eth key.
import * as secp256k1 from "tiny-secp256k1";
import { bytesToHex, hexToBytes } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import type { Hex } from "../../types/primitives.js";

const PRIVATE_KEY_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * The checksummed address of an eth private key: the public key from libsecp256k1
 * (tiny-secp256k1, bitcoin-core's library compiled to WebAssembly: constant-time, and at about
 * 85 µs a key 2.3 times as fast as the @noble/curves multiplication inside viem's
 * privateKeyToAddress, which was half of a large run's CPU), the address from it with viem's
 * publicKeyToAddress (keccak-256, EIP-55), as privateKeyToAddress does. A unit test checks the
 * two agree.
 */
export function ethAddressOf(key: Hex): Hex {
  // Checked keys only get here (refuseUnusablePrivateKeys); these refusals, which name no part
  // of the key, are a last guard.
  if (!PRIVATE_KEY_HEX.test(key)) throw new Error("an eth private key is not 32 bytes of hex");
  const scalar = hexToBytes(key);
  try {
    if (!secp256k1.isPrivate(scalar)) {
      throw new Error("an eth private key is not in [1, n) of secp256k1");
    }
    return publicKeyToAddress(bytesToHex(secp256k1.pointFromScalar(scalar, false)!));
  } finally {
    scalar.fill(0);
  }
}
