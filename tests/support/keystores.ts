import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encryptKeystoreJsonSync } from "ethers";
import {
  TEST_ONLY_CHEAP_KDF,
  TEST_ONLY_ETH_KEYSTORE_SCRYPT,
  testOnlyCheapBn254Keystore,
} from "../../src/core/keys/keystore-kdf.js";
import { projectRoot } from "./cli.js";
import { tempDir } from "./files.js";

/**
 * Aztec CLI 4.1.2's own `validator-keys new --password` output (tests/fixtures/aztec-encrypted,
 * 3 validators), with Aztec's real KDF parameters: scrypt n=2^17 and pbkdf2 c=2^18, 0.6 s and
 * 0.13 s a key. Only the tests of those real parameters read it; everything else reads its cheap
 * twin (cheapAztecFixture).
 */
export const aztecFixture = join(projectRoot, "tests", "fixtures", "aztec-encrypted");
export const AZTEC_FIXTURE_PASSWORD = "correct horse battery staple";

interface Slot {
  path: string;
  password?: string;
}
interface FixtureKeyFile {
  validators: { attester: { eth: Slot; bls: Slot }; publisher: Slot }[];
}
interface RawKeyFile {
  validators: { attester: { eth: string; bls: string }; publisher: string }[];
}

let cheapTwin: string | undefined;

/**
 * The Aztec fixture's cheap twin, made once per process in a temp directory (never modify it:
 * copy it, as cheapAztecFixtureCopy does): the same key files, keystore names, keys, addresses,
 * pubkeys, paths and password, every keystore re-encrypted with the test suite's cheap KDF
 * parameters (scrypt n=2^10 by ethers, the node's own v3 writer; pbkdf2 c=2^10 in Aztec's BN254
 * format). Aztec's decrypters open it to the same keys (tests/chain/encrypted-key-files.test.ts).
 */
export function cheapAztecFixture(): string {
  if (cheapTwin !== undefined) return cheapTwin;
  const dir = tempDir("butler-cheap-fixture-");
  cpSync(aztecFixture, dir, { recursive: true });
  const file = JSON.parse(
    readFileSync(join(dir, "new-private-keys.json"), "utf8"),
  ) as FixtureKeyFile;
  const raw = JSON.parse(readFileSync(join(dir, "raw-private-keys.json"), "utf8")) as RawKeyFile;
  const password = AZTEC_FIXTURE_PASSWORD;
  file.validators.forEach((v, i) => {
    const keys = raw.validators[i]!;
    for (const [slot, privateKey] of [
      [v.attester.eth, keys.attester.eth],
      [v.publisher, keys.publisher],
    ] as const) {
      const path = join(dir, slot.path);
      const original = JSON.parse(readFileSync(path, "utf8")) as { address: string };
      const { n: N, r, p } = TEST_ONLY_ETH_KEYSTORE_SCRYPT;
      const cheap = JSON.parse(
        encryptKeystoreJsonSync({ address: `0x${original.address}`, privateKey }, password, {
          scrypt: { N, r, p },
        }),
      ) as { Crypto?: unknown; crypto?: unknown };
      writeFileSync(path, JSON.stringify({ ...original, crypto: cheap.crypto ?? cheap.Crypto }));
    }
    const blsPath = join(dir, v.attester.bls.path);
    const original = JSON.parse(readFileSync(blsPath, "utf8")) as { pubkey: string };
    const cheap = testOnlyCheapBn254Keystore(password, keys.attester.bls, original.pubkey) as {
      crypto: unknown;
    };
    writeFileSync(blsPath, `${JSON.stringify({ ...original, crypto: cheap.crypto }, null, 2)}\n`);
  });
  cheapTwin = dir;
  return dir;
}

/** A fresh temp copy of the cheap twin, as an operator's directory. */
export function cheapAztecFixtureCopy(): string {
  const dir = tempDir("butler-encrypted-");
  cpSync(cheapAztecFixture(), dir, { recursive: true });
  return dir;
}

/**
 * Runs `fn` with this thread writing keystores as an operator's run does, with Aztec's real KDF
 * parameters (the test processes preload the cheap ones). For main-thread code only (v3 eth
 * keystores): the worker threads that write BLS keystores keep the preload's setting, so a run
 * that writes those with real parameters is spawned (`runCli(…, { kdf: "aztec" })`).
 */
export async function withAztecKdf<T>(fn: () => Promise<T>): Promise<T> {
  const global = globalThis as Record<symbol, unknown>;
  const saved = global[TEST_ONLY_CHEAP_KDF];
  delete global[TEST_ONLY_CHEAP_KDF];
  try {
    return await fn();
  } finally {
    global[TEST_ONLY_CHEAP_KDF] = saved;
  }
}
