import { describe, expect, it } from "vitest";
import { providerQueueReaderBytecode } from "../../src/core/chain/provider-queue-reader-code.js";
// @ts-expect-error: a plain .mjs script without type declarations
import { compileQueueReader } from "../../scripts/compile-queue-reader.mjs";

describe("ProviderQueueReader", () => {
  it("the bytecode the CLI carries is contracts/ProviderQueueReader.sol compiled (run scripts/compile-queue-reader.mjs after editing it)", () => {
    const { bytecode } = compileQueueReader() as { bytecode: string };
    expect(providerQueueReaderBytecode).toBe(bytecode);
  });

  it("uses no opcode introduced after the merge (no PUSH0), so it runs on any post-merge chain", () => {
    // Walk the code (skipping PUSH data) up to the CBOR metadata solc may append; PUSH0 is 0x5f.
    const code = Buffer.from(providerQueueReaderBytecode.slice(2), "hex");
    const cborLength = code.readUInt16BE(code.length - 2);
    const hasMetadata =
      cborLength + 2 < code.length &&
      [0xa1, 0xa2, 0xa3].includes(code[code.length - cborLength - 2]!);
    const metadataLength = hasMetadata ? cborLength + 2 : 0;
    const opcodes: number[] = [];
    for (let pc = 0; pc < code.length - metadataLength; pc++) {
      const op = code[pc]!;
      opcodes.push(op);
      if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
    }
    expect(opcodes.length).toBeGreaterThan(100);
    expect(opcodes).not.toContain(0x5f);
  });
});
