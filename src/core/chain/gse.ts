/**
 * Aztec's GSE (governance staking escrow): the registration digest each validator's BLS key signs
 * (its proof of possession). The GSE's address comes from resolveAztecL1 (rollup.ts).
 */
import { type Address } from "viem";
import { gseAbi } from "../../types/abi/gse.js";
import {
  isTransportFailure,
  onChain,
  readContractExactly,
  settled,
  toChainError,
  type AtBlock,
  type ChainClient,
} from "./client.js";
import { ConfigError } from "../errors.js";
import { isG1Point, type G1Point } from "../keys/registration.js";

export interface Gse {
  address: Address;
  /** How the address was found, for messages: "AZTEC_GSE_ADDRESS (from ./.env)" or the rollup. */
  described: string;
}

/**
 * The GSE's registration digest for each G1 public key, in order, together with the GSE's code,
 * all in one batched round: the calls go out together, RPC_BATCH_SIZE per HTTP request. Every
 * digest must be a point of G1.
 */
export async function readRegistrationDigests(
  chain: ChainClient,
  parameters: { gse: Gse; chainId: number; publicKeys: readonly G1Point[] } & AtBlock,
): Promise<G1Point[]> {
  const { gse, chainId, publicKeys, blockNumber } = parameters;
  const what = "reading registration digests from the GSE";
  const [code, ...results] = await onChain(chain, what, () =>
    Promise.all([
      chain.client.getCode({ address: gse.address, blockNumber }),
      ...publicKeys.map((publicKey) =>
        settled(
          readContractExactly(chain, {
            address: gse.address,
            abi: gseAbi,
            functionName: "getRegistrationDigest",
            args: [{ x: publicKey.x, y: publicKey.y }],
            blockNumber,
          }),
        ),
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
  const digests = results as { x: bigint; y: bigint }[];
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
