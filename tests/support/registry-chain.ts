import {
  ANVIL_ACCOUNTS,
  aztecOf,
  registerProvider,
  startTestChain,
  type TestChain,
} from "./test-chain.js";

export interface RegistryChain {
  chain: TestChain;
  registry: `0x${string}`;
  providerId: bigint;
  admin: `0x${string}`;
  /** The configuration an operator would set for this chain, as environment variables. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A test chain (Aztec's real L1, the test staking registry wired to it) with one provider whose
 * admin is anvil account 1. A decoy provider (admin account 2) is registered first, so lookups by
 * admin are exercised.
 */
export async function startRegistryChain(): Promise<RegistryChain> {
  const chain = await startTestChain();
  try {
    const registry = aztecOf(chain).stakingRegistry;
    await registerProvider(chain, registry, ANVIL_ACCOUNTS[2]!);
    const admin = ANVIL_ACCOUNTS[1]!;
    const providerId = await registerProvider(chain, registry, admin);
    return {
      chain,
      registry,
      providerId,
      admin,
      env: {
        ETHEREUM_NODE_URL: chain.rpcUrl,
        ETHEREUM_CHAIN_ID: String(chain.chainId),
        STAKING_REGISTRY_ADDRESS: registry,
        AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: admin,
      },
      stop: () => chain.stop(),
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}
