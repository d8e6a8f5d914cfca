import {
  createCipheriv,
  createDecipheriv,
  pbkdf2,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import { availableParallelism } from "node:os";
import { keccak256, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { EthKeystore } from "../../types/keystore.js";
import { ethKeystoreScrypt } from "./keystore-kdf.js";

/**
 * Web3 Secret Storage v3 with node's native crypto: scrypt and pbkdf2 run asynchronously on
 * libuv's threadpool, so many keystores decrypt in parallel without blocking the main thread.
 * (ethers' pure-JavaScript scrypt, which Aztec's node uses, is several times slower and blocks;
 * the tests use it as an independent oracle.)
 */

/**
 * scrypt needs 128·n·r bytes: 128 MiB for Aztec's parameters (ETH_KEYSTORE_SCRYPT). More than this is refused as
 * unsupported (a keystore with absurd parameters would otherwise exhaust memory).
 */
const SCRYPT_MAX_MEMORY = 1024 * 1024 * 1024;

/** Why a keystore cannot be decrypted, without ever naming the password or the key. */
export class KeystoreProblem extends Error {}

/**
 * At most one key derivation per core at a time: more would only share the cores and multiply
 * scrypt's 128 MiB. libuv's threadpool (4 threads by default) keeps one or two threads for I/O.
 */
const kdfSlots = createLimiter(Math.max(1, Math.min(availableParallelism(), 4)));

export async function decryptEthKeystore(keystore: EthKeystore, password: string): Promise<Hex> {
  const section = (keystore.crypto ?? keystore.Crypto)!;
  const ciphertext = hexBuffer(section.ciphertext);
  const derivedKey = await kdfSlots(() => deriveKey(section, password));
  const mac = hexBuffer(keccak256(Buffer.concat([derivedKey.subarray(16, 32), ciphertext])));
  const expected = hexBuffer(section.mac);
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    throw new KeystoreProblem(
      "wrong password, or the keystore is corrupt (its MAC does not match)",
    );
  }
  const decipher = createDecipheriv(
    "aes-128-ctr",
    derivedKey.subarray(0, 16),
    hexBuffer(section.cipherparams.iv),
  );
  const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (plain.length !== 32) throw new KeystoreProblem("does not hold a 32-byte private key");
  return `0x${plain.toString("hex")}`;
}

export type ScryptParameters = { n: number; r: number; p: number; dklen: number };

/**
 * A v3 keystore of `privateKey`, with its address, in the parameters Aztec's CLI writes (tests
 * may pass cheaper ones: the CLI never does; and in the test suite's own processes the default
 * is cheaper too: see keystore-kdf.ts).
 */
export async function encryptEthKeystore(
  privateKey: Hex,
  password: string,
  scryptParameters: ScryptParameters = ethKeystoreScrypt(),
): Promise<EthKeystore> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  // The only dklen any reader accepts (see KEYSTORE_KDF_LIMITS).
  if (scryptParameters.dklen !== 32) throw new Error("a keystore's dklen is 32");
  const kdfparams = { ...scryptParameters, dklen: 32 as const, salt: salt.toString("hex") };
  const derivedKey = await kdfSlots(() =>
    deriveKey({ kdf: "scrypt", kdfparams } as EthKeystore["crypto"] & object, password),
  );
  const cipher = createCipheriv("aes-128-ctr", derivedKey.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([
    cipher.update(Buffer.from(privateKey.slice(2), "hex")),
    cipher.final(),
  ]);
  const mac = keccak256(Buffer.concat([derivedKey.subarray(16, 32), ciphertext])).slice(2);
  return {
    address: privateKeyToAddress(privateKey).slice(2).toLowerCase(),
    id: randomUUID(),
    version: 3,
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: iv.toString("hex") },
      ciphertext: ciphertext.toString("hex"),
      kdf: "scrypt",
      kdfparams,
      mac,
    },
  };
}

function deriveKey(section: NonNullable<EthKeystore["crypto"]>, password: string): Promise<Buffer> {
  // ethers (which writes Aztec's keystores) normalises the password to NFKC, as geth does not
  // need to for ASCII; the same bytes for every ASCII password.
  const secret = Buffer.from(password.normalize("NFKC"), "utf8");
  const params = section.kdfparams;
  const salt = hexBuffer(params.salt);
  return new Promise((resolve, reject) => {
    if (section.kdf === "scrypt") {
      if (!("n" in params)) return reject(new KeystoreProblem("kdfparams do not match kdf scrypt"));
      const memory = 128 * params.n * params.r;
      if ((params.n & (params.n - 1)) !== 0 || memory * params.p > SCRYPT_MAX_MEMORY) {
        return reject(
          new KeystoreProblem(
            `unsupported scrypt parameters (n=${params.n}, r=${params.r}, p=${params.p})`,
          ),
        );
      }
      scrypt(
        secret,
        salt,
        params.dklen,
        { N: params.n, r: params.r, p: params.p, maxmem: memory * 2 + 1024 * 1024 },
        (error, key) => (error ? reject(error) : resolve(key)),
      );
    } else {
      if (!("c" in params)) return reject(new KeystoreProblem("kdfparams do not match kdf pbkdf2"));
      pbkdf2(secret, salt, params.c, params.dklen, "sha256", (error, key) =>
        error ? reject(error) : resolve(key),
      );
    }
  });
}

function hexBuffer(hex: string): Buffer {
  return Buffer.from(hex.replace(/^0x/, ""), "hex");
}

/** Runs at most `slots` of the given tasks at once, in the order they were asked for. */
function createLimiter(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finished task hands its slot straight to the next waiting one.
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
