import type { Hex } from "../../types/primitives.js";
export function deriveEthAddresses(keys: readonly Hex[]): Promise<Hex[]>;
export function deriveBlsPublicKeys(keys: readonly Hex[]): Promise<Hex[]>;
