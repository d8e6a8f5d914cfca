import type { AttesterPrivateKeys, AttesterPublicKeys } from "./keys.js";
export function deriveAttesterPublicKeysInThread(
  keys: readonly AttesterPrivateKeys[],
  onProgress?: (done: number) => void,
): Promise<AttesterPublicKeys[]>;
