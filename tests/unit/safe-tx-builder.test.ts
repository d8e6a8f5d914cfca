/**
 * Safe{Wallet} Transaction Builder files as the builder writes them itself: each transaction a
 * contract call (contractMethod + contractInputsValues, data null) that the builder encodes back
 * into exactly add-keys' calldata, and meta.checksum the builder's own. Both are checked against
 * independent implementations written here from the builder's documented behaviour: ethers (the
 * builder's encoder) for the call, and the serialisation described in issue 15 for the checksum.
 */
import { Interface } from "ethers";
import { encodeFunctionData, keccak256, toHex, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  addKeysDescription,
  builderChecksum,
  safeTransactionBuilderBatches,
  safeTransactionBuilderFileNames,
  type SafeContractCall,
  type SafeTransactionBuilderBatch,
} from "../../src/core/files/safe-tx-builder.js";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";

const safe = "0x00000000000000000000000000000000000000aa" as Address;
const registry = "0x00000000000000000000000000000000000000bb" as Address;
const word = (n: number) => BigInt(`0x${n.toString(16).padStart(2, "0").repeat(32)}`) >> 2n;
const tuple = (n: number) => ({
  attester: `0x${n.toString(16).padStart(40, "0")}` as Address,
  publicKeyG1: { x: word(n), y: word(n + 1) },
  publicKeyG2: { x0: word(n + 2), x1: word(n + 3), y0: word(n + 4), y1: word(n + 5) },
  proofOfPossession: { x: word(n + 6), y: word(n + 7) },
});
const callOf = (providerId: bigint, tuples: ReturnType<typeof tuple>[]): Hex =>
  encodeFunctionData({
    abi: stakingRegistryAbi,
    functionName: "addKeysToProvider",
    args: [providerId, tuples],
  });

/** The checksum serialisation as issue 15 spells it out, written independently of the code. */
function describedSerialisation(value: unknown): string {
  if (Array.isArray(value)) return "[" + value.map(describedSerialisation).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    let text = "{" + JSON.stringify(keys);
    for (const key of keys)
      text += describedSerialisation((value as Record<string, unknown>)[key]) + ",";
    return text + "}";
  }
  return value === undefined ? "null" : JSON.stringify(value);
}

/**
 * The builder's own check on import (validateChecksum): the file without meta.checksum, and with
 * meta.name null (the builder's calculateChecksum leaves the name out so a batch can be renamed;
 * the description omits this detail), serialised as described, keccak256 of its UTF-8.
 */
function describedChecksum(file: SafeTransactionBuilderBatch): Hex {
  const parsed = JSON.parse(JSON.stringify(file)) as { meta: Record<string, unknown> };
  delete parsed.meta.checksum;
  parsed.meta.name = null;
  return keccak256(toHex(describedSerialisation(parsed)));
}

describe("Safe Transaction Builder files", () => {
  const tuples = [tuple(1), tuple(9), tuple(17)];
  const calldata = [callOf(7n, tuples.slice(0, 2)), callOf(7n, tuples.slice(2))];
  const batches = safeTransactionBuilderBatches({
    command: "add-keys",
    chainId: 11155111,
    safe,
    createdAt: 1_764_650_000_000,
    transactions: calldata.map((callData, i) => ({
      contractToCall: registry,
      callData,
      description: addKeysDescription(i === 0 ? 2 : 1, 7n),
    })),
  });
  // As written to disk and read back by the builder.
  const files = batches.map((b) => JSON.parse(JSON.stringify(b)) as SafeTransactionBuilderBatch);

  it("one file per transaction, named <prefix>-<i>-of-<n>.json", () => {
    expect(safeTransactionBuilderFileNames("out/add", 3)).toEqual([
      "out/add-1-of-3.json",
      "out/add-2-of-3.json",
      "out/add-3-of-3.json",
    ]);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatchObject({
      version: "1.0",
      chainId: "11155111",
      createdAt: 1_764_650_000_000,
      meta: {
        name: null,
        description:
          "aztec-butler add-keys 1 of 2: addKeysToProvider: 2 validators for staking provider 7 (transaction 1 of 2; execute in order)",
        createdFromSafeAddress: safe,
      },
    });
  });

  it("each transaction is a contract call the builder shows and encodes back into exactly the calldata", () => {
    files.forEach((file, i) => {
      expect(file.transactions).toHaveLength(1);
      const [tx] = file.transactions as SafeContractCall[];
      expect(tx).toMatchObject({ to: registry, value: "0", data: null });
      expect(tx!.contractMethod.name).toBe("addKeysToProvider");
      expect(tx!.contractMethod.payable).toBe(false);
      expect(tx!.contractMethod.inputs.map((input) => [input.name, input.type])).toEqual([
        ["_providerIdentifier", "uint256"],
        ["_keyStores", "tuple[]"],
      ]);
      for (const input of tx!.contractMethod.inputs) {
        expect(Object.keys(input).slice(0, 3)).toEqual(["internalType", "name", "type"]);
      }
      // Solidity's struct names, as solc writes them in the registry's ABI.
      const [, tuples] = tx!.contractMethod.inputs;
      expect(tuples!.internalType).toBe("struct IStakingRegistry.KeyStore[]");
      expect(tuples!.components!.map((c) => c.internalType)).toEqual([
        "address",
        "struct G1Point",
        "struct G2Point",
        "struct G1Point",
      ]);
      // Every value a string (the builder refuses numbers); the tuple array as JSON.
      expect(Object.values(tx!.contractInputsValues).every((v) => typeof v === "string")).toBe(
        true,
      );
      expect(tx!.contractInputsValues._providerIdentifier).toBe("7");
      // The builder's encodeToHexData: ints as given, tuples JSON.parse'd, encoded with ethers.
      const iface = new Interface([{ ...tx!.contractMethod, type: "function", outputs: [] }]);
      const encoded = iface.encodeFunctionData("addKeysToProvider", [
        tx!.contractInputsValues._providerIdentifier,
        JSON.parse(tx!.contractInputsValues._keyStores!),
      ]);
      expect(encoded).toBe(calldata[i]);
    });
  });

  it("meta.checksum is the builder's: the checksum computed here from the described serialisation", () => {
    for (const file of files) {
      expect(file.meta.checksum).toMatch(/^0x[0-9a-f]{64}$/);
      expect(file.meta.checksum).toBe(describedChecksum(file));
      expect(builderChecksum(file)).toBe(file.meta.checksum);
    }
    // Any change to the content changes it; renaming the batch does not (the builder's rule).
    const edited = structuredClone(files[0]!);
    (edited.transactions[0] as SafeContractCall).contractInputsValues._providerIdentifier = "8";
    expect(describedChecksum(edited)).not.toBe(files[0]!.meta.checksum);
    const renamed = structuredClone(files[0]!);
    (renamed.meta as { name: unknown }).name = "renamed";
    expect(describedChecksum(renamed)).toBe(files[0]!.meta.checksum);
    // The file's own name is null, so hashing it as written (no name rule) gives the same checksum.
    expect(files[0]!.meta.name).toBeNull();
    const asWritten = JSON.parse(JSON.stringify(files[0]!)) as { meta: Record<string, unknown> };
    delete asWritten.meta.checksum;
    expect(keccak256(toHex(describedSerialisation(asWritten)))).toBe(files[0]!.meta.checksum);
    expect(files[0]!.meta.checksum).not.toBe(files[1]!.meta.checksum);
  });
});
