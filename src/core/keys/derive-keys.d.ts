import type { Hex } from "../../types/primitives.js";
export function deriveEthAddresses(keys: readonly Hex[]): Promise<Hex[]>;
export function deriveBlsPublicKeys(keys: readonly Hex[]): Promise<Hex[]>;
export function decryptBlsKeystores(
  items: readonly { keystore: unknown; password: string }[],
): Promise<({ key: Hex; pubkey: Hex } | { error: string })[]>;
export function createBlsKeystores(
  items: readonly { key: Hex; pubkey: Hex; password: string }[],
): Promise<unknown[]>;
