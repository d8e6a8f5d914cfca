/**
 * The contracts the CLI runs deployless (contracts/): the creation code it carries is each one's
 * source compiled, and uses no opcode a post-merge chain may lack.
 */
import { describe, expect, it } from "vitest";
import { attesterStatusReaderBytecode } from "../../src/core/chain/attester-status-reader-code.js";
import { keyStoreCheckerBytecode } from "../../src/core/chain/key-store-checker-code.js";
import { providerQueueReaderBytecode } from "../../src/core/chain/provider-queue-reader-code.js";
// @ts-expect-error: a plain .mjs script without type declarations
import { compileDeployless } from "../../scripts/compile-deployless.mjs";

const carried: [string, string][] = [
  ["ProviderQueueReader", providerQueueReaderBytecode],
  ["AttesterStatusReader", attesterStatusReaderBytecode],
  ["KeyStoreChecker", keyStoreCheckerBytecode],
];

describe.each(carried)("%s", (name, bytecode) => {
  it(`the bytecode the CLI carries is contracts/${name}.sol compiled (run scripts/compile-deployless.mjs ${name} after editing it)`, () => {
    expect(bytecode).toBe((compileDeployless(name) as { bytecode: string }).bytecode);
  });

  it("uses no opcode introduced after the merge (no PUSH0), so it runs on any post-merge chain", () => {
    // Walk the code (skipping PUSH data) up to the CBOR metadata solc may append; PUSH0 is 0x5f.
    const code = Buffer.from(bytecode.slice(2), "hex");
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
