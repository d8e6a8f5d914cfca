import { z } from "zod";
import { ethAddressSchema } from "./primitives.js";

/** Every key aztec-butler reads from the environment or its dotenv files. */
export const configKeys = [
  "ETHEREUM_NODE_URL",
  "ETHEREUM_CHAIN_ID",
  "STAKING_REGISTRY_ADDRESS",
  "AZTEC_STAKING_PROVIDER_ID",
  "AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS",
  "MIN_ETH_PER_ATTESTER",
  "AZTEC_GSE_ADDRESS",
  "AZTEC_ROLLUP_ADDRESS",
  "RPC_TIMEOUT_MS",
  "RPC_RETRIES",
  "RPC_BATCH_SIZE",
] as const;
export type ConfigKey = (typeof configKeys)[number];

const positiveIntegerText = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, `must be a positive whole number (${what})`)
    .transform(Number);

/** Parsers for each key's text; an absent key is `undefined` and gets its default in config.ts. */
export const configValueSchemas = {
  ETHEREUM_NODE_URL: z
    .string()
    .url("must be a URL, e.g. http://localhost:8545")
    .refine((url) => /^https?:\/\//i.test(url), "must be an http:// or https:// URL"),
  ETHEREUM_CHAIN_ID: positiveIntegerText("the L1 chain id, e.g. 11155111"),
  STAKING_REGISTRY_ADDRESS: ethAddressSchema,
  AZTEC_STAKING_PROVIDER_ID: z
    .string()
    .regex(/^[0-9]+$/, "must be a whole number (the provider id)")
    .transform(BigInt),
  AZTEC_STAKING_PROVIDER_ADMIN_ADDRESS: ethAddressSchema,
  MIN_ETH_PER_ATTESTER: z
    .string()
    .regex(/^[0-9]+(\.[0-9]{1,18})?$/, "must be a decimal amount of ETH, e.g. 0.1"),
  AZTEC_GSE_ADDRESS: ethAddressSchema,
  AZTEC_ROLLUP_ADDRESS: ethAddressSchema,
  RPC_TIMEOUT_MS: positiveIntegerText("milliseconds"),
  RPC_RETRIES: z
    .string()
    .regex(/^[0-9]+$/, "must be a whole number")
    .transform(Number),
  RPC_BATCH_SIZE: positiveIntegerText("JSON-RPC calls per HTTP request"),
} satisfies Record<ConfigKey, z.ZodType>;

export const networkNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be letters, digits, '-' or '_' (e.g. testnet)");
