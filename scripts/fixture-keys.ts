/**
 * The mnemonic every eth key of key-files-and-phases/ is an account of (BIP-44
 * m/44'/60'/0'/0/<index>): attesters, publishers. An anvil started with
 * `--mnemonic FIXTURE_MNEMONIC --accounts FIXTURE_ACCOUNT_COUNT` holds them all and answers
 * eth_accounts and eth_sign for them as web3signer does: `npm run demo`'s remote signer.
 * The BLS keys, coinbases and the generated (never used) publisher keys come from labelled seeds.
 */
export const FIXTURE_MNEMONIC =
  "version february joy layer bulk vehicle noble enough ketchup model stamp shoot";

/** Account indexes of the fixtures' eth keys. */
export const FIXTURE_ACCOUNTS = {
  /** The 4 validators of the production file (phase 0). */
  existing: (i: number) => i,
  /** The 6 new validators (phase 1). */
  newValidator: (i: number) => 4 + i,
  /** The 3 publishers of testnet_available_publisher_addresses.json. */
  publisher: (i: number) => 10 + i,
  /** high-availability/: its 11 new validators and 10 publishers. */
  haNewValidator: (i: number) => 13 + i,
  haPublisher: (i: number) => 24 + i,
} as const;

export const FIXTURE_ACCOUNT_COUNT = 34;
