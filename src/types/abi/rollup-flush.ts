/**
 * The rollup's entry-queue flush parameters (names and types as in @aztec/l1-artifacts'
 * RollupAbi; tests/unit/rollup-flush-abi.test.ts checks they still match): how many queued
 * attesters may enter now and per epoch, and how long an epoch is.
 */
import { parseAbi } from "viem";

export const rollupFlushAbi = parseAbi([
  "function getEntryQueueFlushSize() view returns (uint256)",
  "function getAvailableValidatorFlushes() view returns (uint256)",
  "function getCurrentEpoch() view returns (uint256)",
  "function getEpochDuration() view returns (uint256)",
  "function getSlotDuration() view returns (uint256)",
]);
