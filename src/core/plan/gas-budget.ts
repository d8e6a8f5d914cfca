/** What one transaction may use on today's chains (pure; chain/gas.ts reads the block gas limit). */

/** EIP-7825 (Osaka/Fusaka; Sepolia since October 2025, mainnet since 3 December 2025). */
export const EIP_7825_TX_GAS_CAP = 16_777_216n;

/** Share of the per-transaction limit a transaction may be estimated at: room for a multisig. */
export const GAS_BUDGET_PERCENT = 90n;

/** What one transaction may be estimated at: 90% of min(2^24, the latest block's gas limit). */
export interface GasBudget {
  budget: bigint;
  blockGasLimit: bigint;
  /** min(2^24, blockGasLimit). */
  perTransactionLimit: bigint;
}

export function gasBudgetFor(blockGasLimit: bigint): GasBudget {
  const perTransactionLimit =
    blockGasLimit < EIP_7825_TX_GAS_CAP ? blockGasLimit : EIP_7825_TX_GAS_CAP;
  return {
    budget: (perTransactionLimit * GAS_BUDGET_PERCENT) / 100n,
    blockGasLimit,
    perTransactionLimit,
  };
}
