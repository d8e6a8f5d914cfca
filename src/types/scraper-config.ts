import { z } from "zod";
import { ethAddressSchema } from "./primitives.js";

/** The states the monitoring server's scraper tracks for an attester, in lifecycle order. */
export const attesterStates = [
  "NEW",
  "IN_STAKING_PROVIDER_QUEUE",
  "COINBASE_NEEDED",
  "IN_STAKING_QUEUE",
  "ACTIVE",
  "NO_LONGER_ACTIVE",
] as const;
export type AttesterState = (typeof attesterStates)[number];

export const scraperAttesterSchema = z.looseObject({
  address: ethAddressSchema,
  /** The coinbase deployed: what the key files give it (the zero address: none). */
  coinbase: ethAddressSchema,
  publisher: ethAddressSchema,
  lastSeenState: z.enum(attesterStates).optional(),
  /**
   * The coinbase the chain expects: the split contract of its StakedWithProvider event, recorded
   * by status --update-scraper-config and fill-coinbases. Monitoring compares it with `coinbase`.
   */
  expectedCoinbase: ethAddressSchema.optional(),
});

/**
 * The scraper config: `<data dir>/<network>-scrape-config.json`. Fields this tool does not own
 * pass through unchanged.
 */
export const scraperConfigSchema = z.looseObject({
  network: z.string(),
  l1ChainId: z.number().int().positive(),
  // Written as a decimal string (ids are uint256); a number is accepted when read.
  stakingProviderId: z.union([z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()]),
  stakingProviderAdmin: ethAddressSchema,
  attesters: z.array(scraperAttesterSchema),
  lastUpdated: z.string(),
  version: z.literal("1.0"),
});

export type ScraperConfig = z.infer<typeof scraperConfigSchema>;
export type ScraperAttester = z.infer<typeof scraperAttesterSchema>;
