import { z } from "zod";
import { ethAddressSchema } from "./primitives.js";

/**
 * The publishers available for a deployment. Either the specification's format, a JSON array of
 * addresses, or an object mapping a server id to its own array (one output file per server).
 */
const addressList = z.array(ethAddressSchema, { error: "must be a list of addresses" }).min(1, {
  error: "is empty: at least one publisher address is needed",
});

export const serverIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    "server ids must be letters, digits, '-' or '_' (they become file name prefixes)",
  );

export const publishersFileSchema = z.union([addressList, z.record(serverIdSchema, addressList)], {
  error:
    "must be a JSON array of publisher addresses, or an object mapping server ids to such arrays",
});

export type PublishersFile = z.infer<typeof publishersFileSchema>;
