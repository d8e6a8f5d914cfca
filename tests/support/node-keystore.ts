import { KeystoreManager } from "@aztec/node-keystore";
import { loadKeystoreFile } from "@aztec/node-keystore/loader";
import { expect } from "vitest";

/** Aztec's node loader (@aztec/node-keystore) and its KeystoreManager accept the file. */
export function expectNodeLoads(path: string): void {
  const keystore = loadKeystoreFile(path);
  expect(() => new KeystoreManager(keystore)).not.toThrow();
}

/** …and the node finds a signer for every validator's attester and publisher. */
export function expectNodeSigns(path: string): void {
  const manager = new KeystoreManager(loadKeystoreFile(path));
  for (let i = 0; i < manager.getValidatorCount(); i++) {
    expect(manager.createAttesterSigners(i)).toHaveLength(1);
    expect(manager.createPublisherSigners(i)).toHaveLength(1);
  }
}
