/**
 * Writes key-files-and-phases/: the project's own phase fixtures (own keys, derived from fixed
 * seeds), the state of the operator's dev machine and of the node after each phase.
 *
 * Public keys are computed here with @noble/curves and @noble/hashes, independently of the code
 * under test (viem and bb.js), so the fixtures are an oracle and not a copy of the tool's output.
 * Every eth key (attesters, publishers) is an account of FIXTURE_MNEMONIC (BIP-44, derived with
 * ethers, which the tool does not use), so that an anvil started with it is the demo's signer.
 * Publisher assignment is the plain round-robin the specification describes, written out here.
 *
 *   npm run fixtures
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bn254 } from "@noble/curves/bn254.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { HDNodeWallet } from "ethers";
import { FIXTURE_ACCOUNTS, FIXTURE_ACCOUNT_COUNT, FIXTURE_MNEMONIC } from "./fixture-keys.js";

const root = new URL("../key-files-and-phases/", import.meta.url).pathname;
const ZERO_FEE_RECIPIENT = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const SECP_N = secp256k1.Point.CURVE().n;
const BN_R = bn254.fields.Fr.ORDER;

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;
const hex32 = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;

/** A deterministic scalar in [1, order) from a label. */
function scalar(label: string, order: bigint): bigint {
  const n = BigInt(hex(keccak_256(new TextEncoder().encode(`aztec-butler fixture ${label}`))));
  return (n % (order - 1n)) + 1n;
}

function checksum(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(lower))).toString("hex");
  return `0x${[...lower].map((c, i) => (parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join("")}`;
}

function ethAddress(privateKey: bigint): string {
  const uncompressed = secp256k1.getPublicKey(
    Buffer.from(hex32(privateKey).slice(2), "hex"),
    false,
  );
  return checksum(hex(keccak_256(uncompressed.slice(1)).slice(12)));
}

/** Aztec's compressed G1 form: x, with the parity of y in the most significant bit. */
function blsPublicCompressed(privateKey: bigint): string {
  const { x, y } = bn254.G1.Point.BASE.multiply(privateKey).toAffine();
  return hex32(x | ((y & 1n) << 255n));
}

/** The private key of account `index` of FIXTURE_MNEMONIC (m/44'/60'/0'/0/index). */
const accountRoot = HDNodeWallet.fromPhrase(FIXTURE_MNEMONIC, undefined, "m/44'/60'/0'/0");
function accountKey(index: number): bigint {
  if (index >= FIXTURE_ACCOUNT_COUNT)
    throw new Error(`account ${index}: raise FIXTURE_ACCOUNT_COUNT`);
  return BigInt(accountRoot.deriveChild(index).privateKey);
}

// Phase 0: the production file on the node: public keys only, behind a web3signer.
const existing = Array.from({ length: 4 }, (_, i) => {
  const validator: Record<string, unknown> = {
    attester: {
      eth: ethAddress(accountKey(FIXTURE_ACCOUNTS.existing(i))),
      bls: blsPublicCompressed(scalar(`existing ${i} bls`, BN_R)),
    },
    publisher: ethAddress(accountKey(FIXTURE_ACCOUNTS.publisher(0))),
  };
  // The last existing validator has no coinbase yet (allowed); the others have their own.
  if (i < 3) validator.coinbase = ethAddress(scalar(`coinbase ${i}`, SECP_N));
  validator.feeRecipient = i === 1 ? hex32(scalar(`fee recipient ${i}`, BN_R)) : ZERO_FEE_RECIPIENT;
  return validator;
});
const production = {
  schemaVersion: 1,
  remoteSigner: "https://web3signer.butler-fixture.example:9000",
  validators: existing,
};
const publishers = [0, 1, 2].map((i) => ethAddress(accountKey(FIXTURE_ACCOUNTS.publisher(i))));

// Phase 1: `aztec validator-keys new` output (private keys), 6 new validators.
const NEW_COUNT = 6;
const newKeys = Array.from({ length: NEW_COUNT }, (_, i) => ({
  eth: accountKey(FIXTURE_ACCOUNTS.newValidator(i)),
  bls: scalar(`new ${i} bls`, BN_R),
  publisher: scalar(`new ${i} generated publisher`, SECP_N),
}));
const privateKeyFile = {
  schemaVersion: 1,
  validators: newKeys.map((k) => ({
    attester: { eth: hex32(k.eth), bls: hex32(k.bls) },
    publisher: hex32(k.publisher),
    feeRecipient: ZERO_FEE_RECIPIENT,
    coinbase: ZERO_ADDRESS,
  })),
};

// Phase 2: the public keys of the new validators.
const publicKeyFile = {
  schemaVersion: 1,
  validators: newKeys.map((k) => ({
    attester: { eth: ethAddress(k.eth), bls: blsPublicCompressed(k.bls) },
    feeRecipient: ZERO_FEE_RECIPIENT,
  })),
};

// Phase 3: old + new validators, publishers reassigned round-robin over all, in file order.
const withPublishers = (validators: Record<string, unknown>[], pool: string[]) =>
  validators.map((v, i) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(v))
      out[key] = key === "publisher" ? pool[i % pool.length] : value;
    if (!("publisher" in out)) {
      // New validators: attester, publisher, feeRecipient (no coinbase).
      return {
        attester: v.attester,
        publisher: pool[i % pool.length],
        feeRecipient: v.feeRecipient,
      };
    }
    return out;
  });
const productionNew = {
  ...production,
  validators: withPublishers([...existing, ...publicKeyFile.validators], publishers),
};

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const files = {
  production: json(production),
  productionNew: json(productionNew),
  publishers: json(publishers),
  privateKeys: json(privateKeyFile),
  publicKeys: json(publicKeyFile),
};

type Layout = { dev: Record<string, string>; node: Record<string, string> };
const P = "prod-testnet-keyfile.json";
const PUB = "testnet_available_publisher_addresses.json";
const phases: Record<string, Layout> = {
  after_phase0: {
    dev: { [P]: files.production, [PUB]: files.publishers },
    node: { [P]: files.production },
  },
  after_phase1: {
    dev: {
      [P]: files.production,
      [PUB]: files.publishers,
      "new-private-keys.json": files.privateKeys,
    },
    node: { [P]: files.production },
  },
  after_phase2: {
    dev: {
      [P]: files.production,
      [PUB]: files.publishers,
      "new-private-keys.json": files.privateKeys,
      "new-public-keys.json": files.publicKeys,
    },
    node: { [P]: files.production },
  },
  after_phase3: {
    dev: {
      [P]: files.production,
      [`${P}.new`]: files.productionNew,
      [PUB]: files.publishers,
      "new-private-keys.json": files.privateKeys,
      "new-public-keys.json": files.publicKeys,
    },
    node: { [P]: files.production },
  },
  // Phase 4: the old production file and the public keys deleted, `.new` renamed into place
  // locally and shipped to the node.
  after_phase4: {
    dev: {
      [P]: files.productionNew,
      [PUB]: files.publishers,
      "new-private-keys.json": files.privateKeys,
    },
    node: { [P]: files.productionNew },
  },
  // Phase 5: keys registered with the provider; the private-key file deleted.
  after_phase5: {
    dev: { [P]: files.productionNew, [PUB]: files.publishers },
    node: { [P]: files.productionNew },
  },
};

for (const [phase, layout] of Object.entries(phases)) {
  rmSync(join(root, phase), { recursive: true, force: true });
  for (const [side, content] of [
    ["on-dev-machine", layout.dev],
    ["on-testnet-node", layout.node],
  ] as const) {
    mkdirSync(join(root, phase, side), { recursive: true });
    for (const [name, text] of Object.entries(content))
      writeFileSync(join(root, phase, side, name), text);
  }
}

// High availability: 15 validators, 10 publishers, 3 files. Publishers split into contiguous groups
// of floor(10/3) = 3, the last taking the remainder (1-3, 4-6, 7-10); round-robin within a file.
const haDir = join(root, "high-availability");
rmSync(haDir, { recursive: true, force: true });
mkdirSync(haDir, { recursive: true });
const haPublishers = Array.from({ length: 10 }, (_, i) =>
  ethAddress(accountKey(FIXTURE_ACCOUNTS.haPublisher(i))),
);
const haNewKeys = Array.from({ length: 11 }, (_, i) => ({
  attester: {
    eth: ethAddress(accountKey(FIXTURE_ACCOUNTS.haNewValidator(i))),
    bls: blsPublicCompressed(scalar(`ha new ${i} bls`, BN_R)),
  },
  feeRecipient: ZERO_FEE_RECIPIENT,
}));
const haPublic = { schemaVersion: 1, validators: haNewKeys };
writeFileSync(join(haDir, P), files.production);
writeFileSync(join(haDir, "publishers.json"), json(haPublishers));
writeFileSync(join(haDir, "new-public-keys.json"), json(haPublic));
const groupSize = Math.floor(haPublishers.length / 3);
["A", "B", "C"].forEach((letter, g) => {
  const pool = haPublishers.slice(
    g * groupSize,
    g === 2 ? haPublishers.length : (g + 1) * groupSize,
  );
  const file = { ...production, validators: withPublishers([...existing, ...haNewKeys], pool) };
  writeFileSync(join(haDir, `${letter}_${P}.new`), json(file));
});
console.log(`wrote ${root}`);
