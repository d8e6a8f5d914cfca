/**
 * resolveProvider against the test staking registry on anvil: by id, by admin, both (they must
 * agree), and each refusal, with the exact message.
 */
import { getAddress, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient, type ChainClient } from "../../src/core/chain/client.js";
import { resolveProvider } from "../../src/core/chain/staking-registry.js";
import { loadConfig } from "../../src/core/config.js";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import { ANVIL_ACCOUNTS, registerProvider } from "../support/test-chain.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

let net: RegistryChain;
let chain: ChainClient;
let next: bigint;
/** Provider registered twice with the same admin (account 4). */
let twice: [bigint, bigint];
const decoyAdmin = ANVIL_ACCOUNTS[2]! as Address;
const twiceAdmin = ANVIL_ACCOUNTS[4]! as Address;

beforeAll(async () => {
  net = await startRegistryChain();
  twice = [
    await registerProvider(net.chain, net.registry, twiceAdmin),
    await registerProvider(net.chain, net.registry, twiceAdmin),
  ];
  chain = createChainClient(await loadConfig({ env: { ETHEREUM_NODE_URL: net.chain.rpcUrl } }));
  next = await net.chain.publicClient.readContract({
    address: net.registry,
    abi: stakingRegistryAbi,
    functionName: "nextProviderIdentifier",
  });
});
afterAll(async () => {
  await net?.stop();
});

const resolve = (id: bigint | undefined, admin: string | undefined) =>
  resolveProvider(chain, {
    registry: net.registry,
    nextProviderId: next,
    configuredId: id,
    configuredAdmin: admin,
  });

describe("resolveProvider", () => {
  it("finds the provider by id, and its admin", async () => {
    expect(await resolve(net.providerId, undefined)).toEqual({
      providerId: net.providerId,
      providerAdmin: getAddress(net.admin),
    });
  });

  it("finds the provider by its admin among all providers (a lowercase address too)", async () => {
    expect(await resolve(undefined, net.admin.toLowerCase())).toEqual({
      providerId: net.providerId,
      providerAdmin: getAddress(net.admin),
    });
  });

  it("accepts id and admin when they agree, refuses them when they do not", async () => {
    expect(await resolve(net.providerId, net.admin)).toEqual({
      providerId: net.providerId,
      providerAdmin: getAddress(net.admin),
    });
    await expect(resolve(net.providerId, decoyAdmin)).rejects.toMatchObject({
      name: "ConfigError",
      code: "PROVIDER_ADMIN_MISMATCH",
      message: expect.stringContaining(
        `provider ${net.providerId}'s admin is ${getAddress(net.admin)}`,
      ),
    });
  });

  it("refuses an id that is not a provider, naming nextProviderIdentifier()", async () => {
    await expect(resolve(next, undefined)).rejects.toMatchObject({
      name: "ConfigError",
      code: "UNKNOWN_PROVIDER",
      message: expect.stringContaining(`nextProviderIdentifier() is ${next}`),
    });
  });

  it("refuses an admin of no provider, and one of several (asking for the id)", async () => {
    const stranger = getAddress(ANVIL_ACCOUNTS[8]!);
    await expect(resolve(undefined, stranger)).rejects.toMatchObject({
      name: "ConfigError",
      code: "UNKNOWN_PROVIDER",
      message: expect.stringContaining(`searched ${next} provider ids`),
    });
    await expect(resolve(undefined, twiceAdmin)).rejects.toMatchObject({
      name: "ConfigError",
      code: "AMBIGUOUS_PROVIDER",
      message: expect.stringContaining(`providers ${twice.join(", ")}`),
    });
  });
});
