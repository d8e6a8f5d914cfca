import { getAddress, zeroAddress, type Address } from "viem";
import { gseAbi, rollupAbi } from "../../types/abi/gse.js";
import type { ConfigKey } from "../../types/config.js";
import {
  isTransportFailure,
  onChain,
  readContractExactly,
  toChainError,
  type ChainClient,
} from "./client.js";
import type { ButlerConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { isG1Point, type G1Point } from "../keys/registration.js";

/** Where the GSE address comes from: configured directly, or asked of the rollup. */
export interface GseSource {
  key: Extract<ConfigKey, "AZTEC_GSE_ADDRESS" | "AZTEC_ROLLUP_ADDRESS">;
  address: Address;
  /** "AZTEC_GSE_ADDRESS (from ./.env)", for messages. */
  described: string;
}

export interface Gse {
  address: Address;
  /** How the address was found, for messages: "AZTEC_GSE_ADDRESS (from ./.env)" or the rollup. */
  described: string;
}

/**
 * AZTEC_GSE_ADDRESS, else AZTEC_ROLLUP_ADDRESS (whose getGSE() is asked later); neither is a
 * ConfigError. Checked before any chain work.
 */
export function configuredGseSource(config: ButlerConfig): GseSource {
  for (const key of ["AZTEC_GSE_ADDRESS", "AZTEC_ROLLUP_ADDRESS"] as const) {
    const value = config.optional(key);
    if (value !== undefined) {
      return {
        key,
        address: getAddress(value),
        described: `${key} (from ${config.sourceOf(key)})`,
      };
    }
  }
  throw new ConfigError(
    "NO_GSE_CONFIGURED",
    "neither AZTEC_GSE_ADDRESS nor AZTEC_ROLLUP_ADDRESS is set; add-keys asks Aztec's GSE contract " +
      "for each validator's registration digest: set AZTEC_GSE_ADDRESS, or AZTEC_ROLLUP_ADDRESS to use " +
      "the rollup's GSE",
  );
}

/**
 * The GSE's address: the configured one as is, or the rollup's getGSE(), read together with the
 * rollup's code in one batched round (the GSE's own code is checked with the digests).
 */
export async function resolveGse(
  chain: ChainClient,
  source: GseSource,
  chainId: number,
  /** The command's pinned block (readBlockNumber); the latest without one. */
  blockNumber?: bigint,
): Promise<Gse> {
  if (source.key === "AZTEC_GSE_ADDRESS")
    return { address: source.address, described: source.described };
  const rollup = source.address;
  const [code, gse] = await onChain(chain, "asking the rollup for its GSE", () =>
    Promise.all([
      chain.client.getCode({ address: rollup, blockNumber }),
      readContractExactly<Address>(chain, {
        address: rollup,
        abi: rollupAbi,
        functionName: "getGSE",
        blockNumber,
      }).catch((error: unknown) => settled(error)),
    ]),
  );
  if (!code || code === "0x") {
    throw new ConfigError(
      "NO_CONTRACT_CODE",
      `${source.described} is ${rollup}, which has no contract code on chain ${chainId}; wrong address or wrong chain?`,
    );
  }
  if (gse instanceof Error) {
    if (isTransportFailure(gse)) throw toChainError(chain, "asking the rollup for its GSE", gse);
    throw new ConfigError(
      "NOT_THE_ROLLUP",
      `${source.described} is ${rollup}, whose contract does not answer getGSE(); is it the rollup?`,
      {},
      { cause: gse },
    );
  }
  if (gse === zeroAddress) {
    throw new ConfigError(
      "NOT_THE_ROLLUP",
      `${source.described} is ${rollup}, whose getGSE() is the zero address`,
    );
  }
  return {
    address: getAddress(gse),
    described: `the GSE of rollup ${rollup} (${source.described})`,
  };
}

/**
 * The GSE's registration digest for each G1 public key, in order, together with the GSE's code,
 * all in one batched round: the calls go out together, RPC_BATCH_SIZE per HTTP request. Every
 * digest must be a point of G1.
 */
export async function readRegistrationDigests(
  chain: ChainClient,
  gse: Gse,
  chainId: number,
  publicKeys: readonly G1Point[],
  /** The command's pinned block (readBlockNumber); the latest without one. */
  blockNumber?: bigint,
): Promise<G1Point[]> {
  const what = "reading registration digests from the GSE";
  const [code, ...results] = await onChain(chain, what, () =>
    Promise.all([
      chain.client.getCode({ address: gse.address, blockNumber }),
      ...publicKeys.map((publicKey) =>
        readContractExactly<G1Point>(chain, {
          address: gse.address,
          abi: gseAbi,
          functionName: "getRegistrationDigest",
          args: [{ x: publicKey.x, y: publicKey.y }],
          blockNumber,
        }).catch((error: unknown) => settled(error)),
      ),
    ]),
  );
  // The code check speaks first: calls to an address without code fail for that reason.
  if (!code || code === "0x") {
    throw new ConfigError(
      "NO_CONTRACT_CODE",
      `${gse.described} is ${gse.address}, which has no contract code on chain ${chainId}; wrong address or wrong chain?`,
    );
  }
  const failed = results.find((r): r is Error => r instanceof Error);
  if (failed) {
    if (isTransportFailure(failed)) throw toChainError(chain, what, failed);
    throw new ConfigError(
      "NOT_THE_GSE",
      `${gse.described} is ${gse.address}, whose contract does not answer getRegistrationDigest; is it the GSE?`,
      {},
      { cause: failed },
    );
  }
  const digests = results as G1Point[];
  const bad = digests.findIndex((d) => !isG1Point(d));
  if (bad >= 0) {
    throw new ConfigError(
      "NOT_THE_GSE",
      `${gse.described} is ${gse.address}, whose getRegistrationDigest returned a value that is not a ` +
        `BN254 G1 point (validator ${bad}); is it the GSE?`,
    );
  }
  return digests.map(({ x, y }) => ({ x, y }));
}

function settled(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
