/**
 * The tool's ABI of Aztec's StakingRegistry against the documented facts: every function selector,
 * every custom error's selector and every event's topic prefix of the recipe
 * (../shared/recipes/aztec-staking-registry.md), and every custom error decoding by name in the
 * tool's messages.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  encodeErrorResult,
  getAddress,
  toEventSelector,
  toFunctionSelector,
  toFunctionSignature,
  type Abi,
  type AbiEvent,
  type AbiFunction,
} from "viem";
import { describe, expect, it } from "vitest";
import { decodeRevert } from "../../src/core/chain/gas.js";
import {
  stakingRegistryAbi,
  stakingRegistryErrorsAbi,
} from "../../src/types/abi/staking-registry.js";

/** The recipe's tables: function and error selectors, event topic prefixes. */
const FUNCTIONS: Record<string, string> = {
  registerProvider: "0xea4a1e03",
  addKeysToProvider: "0xe2530fd1",
  dripProviderQueue: "0x26f7424f",
  stake: "0x6fde9315",
  updateProviderAdmin: "0xae996dc5",
  acceptProviderAdmin: "0x22b2b62d",
  updateProviderRewardsRecipient: "0x48922b95",
  updateProviderTakeRate: "0xcea00fa5",
  getProviderQueueLength: "0x28f34d3c",
  getFirstIndexInQueue: "0x2a9e42c1",
  getLastIndexInQueue: "0x834d1091",
  getValueAtIndexInQueue: "0x2ba4d02d",
  getActivationThreshold: "0x76fcb2ab",
};
const ERRORS: Record<string, string> = {
  "StakingRegistry__ZeroAddress()": "0x9c3f5a83",
  "StakingRegistry__InvalidProviderIdentifier(uint256)": "0x9ce3a1ea",
  "StakingRegistry__NotProviderAdmin()": "0x6b696822",
  "StakingRegistry__UpdatedProviderAdminToSameAddress()": "0x743cb320",
  "StakingRegistry__UpdatedProviderTakeRateToSameValue()": "0x4f362738",
  "StakingRegistry__NotPendingProviderAdmin()": "0x12306850",
  "StakingRegistry__InvalidTakeRate(uint256)": "0x85c71a35",
  "StakingRegistry__UnexpectedTakeRate(uint256,uint256)": "0x3b00200c",
  "QueueIsEmpty()": "0x63c36549",
  "QueueIndexOutOfBounds()": "0x648f63f6",
  "SafeERC20FailedOperation(address)": "0x5274afe7",
};
const EVENTS: Record<string, string> = {
  ProviderRegistered: "0x43fe1b44",
  AttestersAddedToProvider: "0x8dc338d3",
  ProviderQueueDripped: "0x973a89c4",
  StakedWithProvider: "0xc91c8b4e",
};

const abi = stakingRegistryAbi as Abi;
const functions = abi.filter((i): i is AbiFunction => i.type === "function");
const errors = abi.filter((i) => i.type === "error");
const events = abi.filter((i): i is AbiEvent => i.type === "event");

describe("stakingRegistryAbi is Aztec's StakingRegistry", () => {
  it("has every documented function, with its selector", () => {
    for (const [name, selector] of Object.entries(FUNCTIONS)) {
      const fn = functions.find((f) => f.name === name);
      expect(fn, name).toBeDefined();
      expect(toFunctionSelector(fn!), toFunctionSignature(fn!)).toBe(selector);
    }
  });

  it("has exactly the documented custom errors, with their selectors", () => {
    expect(
      Object.fromEntries(
        errors.map((e) => {
          const signature = `${e.name}(${e.inputs.map((i) => i.type).join(",")})`;
          return [signature, toFunctionSelector(signature)];
        }),
      ),
    ).toEqual(ERRORS);
    expect(stakingRegistryErrorsAbi).toEqual(errors);
  });

  it("has the documented events, with their topic prefixes", () => {
    for (const [name, prefix] of Object.entries(EVENTS)) {
      const event = events.find((e) => e.name === name);
      expect(event, name).toBeDefined();
      expect(toEventSelector(event!).slice(0, 10)).toBe(prefix);
    }
  });

  it("the tables above are the recipe's (when ../shared is there)", (ctx) => {
    const recipe = fileURLToPath(
      new URL("../../../shared/recipes/aztec-staking-registry.md", import.meta.url),
    );
    if (!existsSync(recipe)) {
      console.log(`skipped: ${recipe} is not there (a user's clone has no ../shared)`);
      ctx.skip();
    }
    const text = readFileSync(recipe, "utf8");
    for (const [name, selector] of Object.entries(FUNCTIONS)) {
      expect(text, name).toMatch(new RegExp(`\`${name}\\(.*\`${selector}\``));
    }
    for (const [signature, selector] of Object.entries(ERRORS)) {
      const name = signature.slice(0, signature.indexOf("("));
      expect(text, signature).toMatch(new RegExp(`\`${name}\\(.*\\)\`.*\`${selector}\``));
    }
    for (const [name, prefix] of Object.entries(EVENTS)) {
      expect(text, name).toMatch(new RegExp(`\`${name}\\(.*\`${prefix}…\``));
    }
  });
});

describe("every custom error of the registry decodes by name", () => {
  const someone = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
  const cases: [string, readonly unknown[], string][] = [
    ["StakingRegistry__ZeroAddress", [], "StakingRegistry__ZeroAddress()"],
    [
      "StakingRegistry__InvalidProviderIdentifier",
      [7n],
      "StakingRegistry__InvalidProviderIdentifier(7)",
    ],
    ["StakingRegistry__NotProviderAdmin", [], "StakingRegistry__NotProviderAdmin()"],
    [
      "StakingRegistry__UpdatedProviderAdminToSameAddress",
      [],
      "StakingRegistry__UpdatedProviderAdminToSameAddress()",
    ],
    [
      "StakingRegistry__UpdatedProviderTakeRateToSameValue",
      [],
      "StakingRegistry__UpdatedProviderTakeRateToSameValue()",
    ],
    ["StakingRegistry__NotPendingProviderAdmin", [], "StakingRegistry__NotPendingProviderAdmin()"],
    ["StakingRegistry__InvalidTakeRate", [10_001n], "StakingRegistry__InvalidTakeRate(10001)"],
    [
      "StakingRegistry__UnexpectedTakeRate",
      [500n, 600n],
      "StakingRegistry__UnexpectedTakeRate(500, 600)",
    ],
    ["QueueIsEmpty", [], "QueueIsEmpty()"],
    ["QueueIndexOutOfBounds", [], "QueueIndexOutOfBounds()"],
    ["SafeERC20FailedOperation", [someone], `SafeERC20FailedOperation(${someone})`],
  ];

  it("covers every error of the ABI", () => {
    expect(cases.map(([name]) => name).sort()).toEqual(errors.map((e) => e.name).sort());
  });

  it.each(cases)("%s", (errorName, args, shown) => {
    const data = encodeErrorResult({
      abi: stakingRegistryErrorsAbi,
      errorName: errorName as never,
      args: args as never,
    });
    expect(decodeRevert(data, stakingRegistryErrorsAbi)).toBe(shown);
  });
});
