import type { Stats } from "node:fs";
import { chmod, lstat, mkdir, readdir, readFile, realpath, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { getAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import {
  ConfigError,
  InputError,
  InputMissingError,
  OutputError,
  UsageError,
} from "../../errors.js";
import {
  KEYSTORE_PASSWORD_ENV,
  passwordFromFileText,
  readPasswordFile,
  type KeystorePasswords,
} from "../keystore-passwords.js";
import { fileKind, writeFilesAtomically, type PlannedWrite } from "../../files/safe-write.js";
import { decryptEthKeystore, encryptEthKeystore } from "../eth-keystore.js";
import type { SecretStore, SecretStoreContext, ValidatorSecrets } from "./types.js";
import { blsKeystoreSchema, ethKeystoreSchema } from "../../../types/keystore.js";
import type { Hex } from "../../../types/primitives.js";
import type { Output } from "../../output.js";
import { count, plural } from "../../plan/wording.js";
import type { StoredAttesterKeys, StoredKey } from "../../plan/secret-check.js";

/** The password of every keystore in the directory, written once (web3signer reads it too). */
export const PASSWORD_FILE = "keystore-password.txt";

/**
 * `--secret-store keystore-dir:<dir>`: for every attester
 *
 *   <dir>/eth/<address>.json   its eth key, Web3 Secret Storage v3 (scrypt n=131072, r=8, p=1,
 *                              `address` set), as `aztec validator-keys new` writes them
 *   <dir>/eth/<address>.yaml   web3signer's key configuration for it (`--key-store-path <dir>/eth`)
 *   <dir>/bls/<address>.json   its BLS key, EIP-2335 in Aztec's BN254 format (`pubkey` = the
 *                              compressed G1 key), named by the attester it belongs to
 *
 * all encrypted with the password in <dir>/keystore-password.txt (written once). Directories
 * 0700, files 0600, nothing ever overwritten: a file already there is kept only if it holds the
 * same key (decrypted and compared). After writing, every keystore is read back, decrypted and
 * its public key re-derived; on any failure the files this run wrote are removed again.
 */
export async function openKeystoreDirStore(
  dirOption: string,
  { passwords, pool, ethKeystoreScrypt }: SecretStoreContext,
): Promise<SecretStore> {
  const dir = resolve(dirOption);
  const description = `keystore directory ${dirOption}`;
  const shownDir = (path: string) =>
    path === dir ? dirOption : join(dirOption, path.slice(dir.length + 1));
  const folders = [dir, join(dir, "eth"), join(dir, "bls")];
  // Refused before any work: a folder the store would write in that is not the operator's own.
  for (const folder of folders) await refuseUnsafeStoreFolder(folder, shownDir(folder));
  const passwordPath = join(dir, PASSWORD_FILE);
  const existingPassword = await directoryPassword(dir, dirOption, passwords, OutputError);
  const password =
    existingPassword ?? (await passwords.forNewKeystores(`the keystores in ${dirOption}`));
  if (existingPassword === undefined && passwordFromFileText(password) !== password) {
    // It could not be read back from keystore-password.txt as it is (every password file drops
    // a leading byte order mark and one trailing line break).
    throw new ConfigError(
      "UNSTORABLE_PASSWORD",
      `the password for the keystores in ${dirOption} ends with a line break or starts with a byte ` +
        `order mark, which ${PASSWORD_FILE} cannot keep; choose another`,
    );
  }

  return {
    description,
    async refuseAsOutput(path) {
      await refuseStoreFileAsOutput(path, folders, passwordPath, dirOption);
    },
    async store(secrets, out) {
      const plan = await planFiles(dir, dirOption, secrets, password, pool, out, ethKeystoreScrypt);
      const written: string[] = [];
      try {
        for (const folder of folders) await makeStoreFolder(folder, shownDir(folder));
        if (existingPassword === undefined) {
          await writeFilesAtomically([{ path: passwordPath, content: password, mode: 0o600 }]);
          written.push(passwordPath);
        }
        // One validator's files at a time: an interruption leaves whole entries (re-running
        // verifies and keeps them, and completes the rest).
        for (const entry of plan) {
          const writes = entry.writes;
          if (writes.length === 0) continue;
          await writeFilesAtomically(writes);
          written.push(...writes.map((w) => w.path));
        }
        for (const path of written) await chmod(path, 0o600);
        await refuseWrongReadBack(dir, secrets, pool, out);
      } catch (error) {
        await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
        throw error;
      }
      const kept = plan.filter((p) => p.writes.length === 0).length;
      out.info(
        `stored ${plural(secrets.length, "validator")}' keys in ${dirOption} ` +
          `(${count(secrets.length - kept)} new, ${count(kept)} already there and verified; ` +
          `eth/ for web3signer --key-store-path, bls/, ${PASSWORD_FILE}); every keystore read back and verified`,
      );
    },
  };
}

/**
 * Every folder the store writes in is a real directory (never a symlink, followed or not) of the
 * operator's (owned by this process's user) that no one else can read or enter (mode 0700): the
 * keystores' only protection besides their password. A folder not there yet is fine (it is made so).
 */
async function refuseUnsafeStoreFolder(path: string, shown: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return;
  refuseUnsafeFolder(info, shown);
}

function refuseUnsafeFolder(info: Stats, shown: string): void {
  const rule =
    "every folder of a keystore directory must be a real directory of yours with mode 0700; nothing was written";
  if (info.isSymbolicLink())
    throw new OutputError("SYMBOLIC_LINK", `is a symbolic link; ${rule}`, { file: shown });
  if (!info.isDirectory())
    throw new OutputError("NOT_A_DIRECTORY", `is ${fileKind(info)}; ${rule}`, { file: shown });
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new OutputError(
      "NOT_YOURS",
      `is owned by uid ${info.uid}, not by you (uid ${uid}); ${rule}`,
      {
        file: shown,
      },
    );
  }
  if ((info.mode & 0o077) !== 0) {
    throw new OutputError(
      "UNSAFE_PERMISSIONS",
      `can be read or entered by other users (mode ${(info.mode & 0o777).toString(8)}); run ` +
        `chmod 700 ${shown} (${rule})`,
      { file: shown },
    );
  }
}

/**
 * An output of the run (the public-keys file) may not be one of the store's files: not in its
 * eth/ or bls/ folders, not its password file, and not any of those files under another name
 * (a hard link), whatever --force says (exit 64).
 */
async function refuseStoreFileAsOutput(
  output: string,
  folders: readonly string[],
  passwordPath: string,
  dirOption: string,
): Promise<void> {
  const real = async (path: string) => realpath(path).catch(() => resolve(path));
  const outputDir = await real(dirname(resolve(output)));
  const outputPath = join(outputDir, basename(output));
  const [, eth, bls] = await Promise.all(folders.map(real));
  const refuse = () =>
    new UsageError(
      "OUTPUT_IS_A_STORE_FILE",
      `is one of the files of the keystore directory ${dirOption} (its keystores and ${PASSWORD_FILE}); ` +
        "an output never replaces them, even with --force: choose another --output",
      { file: output },
    );
  if (outputDir === eth || outputDir === bls || outputPath === (await real(passwordPath)))
    throw refuse();
  const target = await stat(output).catch(() => undefined);
  if (!target) return;
  const storeFiles = [passwordPath];
  for (const folder of [eth!, bls!]) {
    const names = await readdir(folder).catch(() => [] as string[]);
    storeFiles.push(...names.map((name) => join(folder, name)));
  }
  for (const file of storeFiles) {
    const info = await stat(file).catch(() => undefined);
    if (info && info.dev === target.dev && info.ino === target.ino) throw refuse();
  }
}

/** Makes the folder 0700 if missing (whatever the umask), then checks it as refuseUnsafeStoreFolder. */
async function makeStoreFolder(path: string, shown: string): Promise<void> {
  const created = await mkdir(path, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(path, 0o700);
  refuseUnsafeFolder(await lstat(path), shown);
}

/**
 * The directory's own password (<dir>/keystore-password.txt, read by the rule of every password
 * file), if it has one: its keystores were made with it. A different one given explicitly
 * (--password-file, the variable) is refused rather than silently ignored.
 */
async function directoryPassword(
  dir: string,
  dirOption: string,
  passwords: KeystorePasswords,
  Unreadable: typeof OutputError | typeof InputMissingError,
): Promise<string | undefined> {
  const shown = join(dirOption, PASSWORD_FILE);
  const info = await lstat(join(dir, PASSWORD_FILE)).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code === "ENOENT") return undefined;
    throw new Unreadable(
      "UNREADABLE",
      `cannot be read (${info.code ?? "error"})`,
      { file: shown },
      { cause: info },
    );
  }
  if (!info.isFile()) {
    throw new Unreadable(
      "NOT_A_REGULAR_FILE",
      `is ${fileKind(info)}, not a password file; refusing to use it`,
      {
        file: shown,
      },
    );
  }
  const existing = await readPasswordFile(join(dir, PASSWORD_FILE));
  const given = await passwords.given();
  if (given !== undefined && given !== existing) {
    throw new ConfigError(
      "WRONG_PASSWORD",
      `the password given (--password-file or ${KEYSTORE_PASSWORD_ENV}) is not the one in ` +
        `${shown}, which the keystores there are encrypted with; give that one, or choose another ` +
        "directory",
    );
  }
  return existing;
}

export function keystorePaths(dir: string, address: Hex) {
  return {
    eth: join(dir, "eth", `${address}.json`),
    yaml: join(dir, "eth", `${address}.yaml`),
    bls: join(dir, "bls", `${address}.json`),
  };
}

/** web3signer's key configuration for a v3 keystore (absolute paths: web3signer's CWD differs). */
export function web3signerKeyConfig(keystoreFile: string, passwordFile: string): string {
  return [
    `type: "file-keystore"`,
    `keyType: "SECP256K1"`,
    `keystoreFile: ${JSON.stringify(keystoreFile)}`,
    `keystorePasswordFile: ${JSON.stringify(passwordFile)}`,
    "",
  ].join("\n");
}

interface PlannedEntry {
  writes: PlannedWrite[];
}

/**
 * What to write for each validator: files already there must hold the same key (decrypted and
 * compared) or the same configuration, else the whole store is refused before anything is written.
 */
async function planFiles(
  dir: string,
  dirOption: string,
  secrets: readonly ValidatorSecrets[],
  password: string,
  pool: SecretStoreContext["pool"],
  out: Output,
  ethKeystoreScrypt: SecretStoreContext["ethKeystoreScrypt"],
): Promise<PlannedEntry[]> {
  const passwordPath = join(dir, PASSWORD_FILE);
  const shown = (path: string) => join(dirOption, path.slice(dir.length + 1));
  const existingBls: { index: number; path: string; keystore: unknown }[] = [];
  const entries = await Promise.all(
    secrets.map(async (secret, i) => {
      const paths = keystorePaths(dir, secret.publicKeys.eth);
      const present = {
        eth: await existing(paths.eth, shown),
        yaml: await existing(paths.yaml, shown),
        bls: await existing(paths.bls, shown),
      };
      if (present.eth !== undefined) {
        const keystore = parseOr(ethKeystoreSchema, present.eth, shown(paths.eth));
        const key = await decryptEthKeystore(keystore, password).catch(() => undefined);
        if (key?.toLowerCase() !== secret.privateKeys.eth.toLowerCase()) {
          throw new OutputError(
            "EXISTS_WITH_OTHER_CONTENT",
            `already exists and does not hold this attester's key (or not under the password in ` +
              `${shown(passwordPath)}); refusing to overwrite it`,
            { file: shown(paths.eth), index: secret.index, field: "attester.eth" },
          );
        }
      }
      const yaml = web3signerKeyConfig(paths.eth, passwordPath);
      if (present.yaml !== undefined && present.yaml !== yaml) {
        throw new OutputError(
          "EXISTS_WITH_OTHER_CONTENT",
          "already exists with a different configuration; refusing to overwrite it",
          {
            file: shown(paths.yaml),
            index: secret.index,
          },
        );
      }
      if (present.bls !== undefined) {
        existingBls.push({
          index: i,
          path: paths.bls,
          keystore: parseOr(blsKeystoreSchema, present.bls, shown(paths.bls)),
        });
      }
      return { secret, paths, present, yaml };
    }),
  );
  if (existingBls.length > 0) {
    const results = await pool.decryptBlsKeystores(
      existingBls.map(({ keystore }) => ({ keystore, password })),
    );
    results.forEach((result, j) => {
      const { index, path } = existingBls[j]!;
      const secret = secrets[index]!;
      if ("error" in result || result.key.toLowerCase() !== secret.privateKeys.bls.toLowerCase()) {
        throw new OutputError(
          "EXISTS_WITH_OTHER_CONTENT",
          `already exists and does not hold this attester's BLS key (or not under the password in ` +
            `${shown(passwordPath)}); refusing to overwrite it`,
          { file: shown(path), index: secret.index, field: "attester.bls" },
        );
      }
    });
  }

  // Encrypt what is missing: eth on libuv's threadpool, BLS on the workers, at the same time.
  const missingEth = entries.filter((e) => e.present.eth === undefined);
  const missingBls = entries.filter((e) => e.present.bls === undefined);
  const total = missingEth.length + missingBls.length;
  let done = 0;
  const tick = () => out.progress(`encrypting keystores: ${count(++done)}/${count(total)}`);
  const [ethKeystores, blsKeystores] = await Promise.all([
    Promise.all(
      missingEth.map((e) =>
        encryptEthKeystore(e.secret.privateKeys.eth, password, ethKeystoreScrypt).then(
          (k) => (tick(), k),
        ),
      ),
    ),
    missingBls.length === 0
      ? []
      : pool.createBlsKeystores(
          missingBls.map((e) => ({
            key: e.secret.privateKeys.bls,
            pubkey: e.secret.publicKeys.bls,
            password,
          })),
          () => tick(),
        ),
  ]);
  out.progressDone();
  const ethOf = new Map(missingEth.map((e, i) => [e, ethKeystores[i]!]));
  const blsOf = new Map(missingBls.map((e, i) => [e, blsKeystores[i]!]));
  return entries.map((e) => {
    const writes: PlannedWrite[] = [];
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    if (ethOf.has(e)) writes.push({ path: e.paths.eth, content: json(ethOf.get(e)), mode: 0o600 });
    if (blsOf.has(e)) writes.push({ path: e.paths.bls, content: json(blsOf.get(e)), mode: 0o600 });
    if (e.present.yaml === undefined)
      writes.push({ path: e.paths.yaml, content: e.yaml, mode: 0o600 });
    return { writes };
  });
}

/** Reads everything back from disk, decrypts it and re-derives the public keys. */
async function refuseWrongReadBack(
  dir: string,
  secrets: readonly ValidatorSecrets[],
  pool: SecretStoreContext["pool"],
  out: Output,
): Promise<void> {
  const password = await readPasswordFile(join(dir, PASSWORD_FILE));
  const total = secrets.length * 2;
  let done = 0;
  const tick = () => out.progress(`verifying keystores: ${count(++done)}/${count(total)}`);
  const fail = (secret: ValidatorSecrets, path: string, what: string) =>
    new OutputError(
      "READ_BACK_MISMATCH",
      `read back, ${what}; the keystores written now were removed`,
      {
        file: path,
        index: secret.index,
      },
    );
  const blsKeystores = await Promise.all(
    secrets.map(
      async (s) =>
        JSON.parse(await readFile(keystorePaths(dir, s.publicKeys.eth).bls, "utf8")) as unknown,
    ),
  );
  const [, blsResults] = await Promise.all([
    Promise.all(
      secrets.map(async (secret) => {
        const paths = keystorePaths(dir, secret.publicKeys.eth);
        const parsed = ethKeystoreSchema.safeParse(JSON.parse(await readFile(paths.eth, "utf8")));
        if (!parsed.success) throw fail(secret, paths.eth, "is not a v3 keystore");
        const key = await decryptEthKeystore(parsed.data, password).catch(() => undefined);
        tick();
        if (key === undefined || privateKeyToAddress(key) !== secret.publicKeys.eth) {
          throw fail(secret, paths.eth, `does not decrypt to the key of ${secret.publicKeys.eth}`);
        }
        if (parsed.data.address?.toLowerCase() !== secret.publicKeys.eth.slice(2).toLowerCase()) {
          throw fail(secret, paths.eth, "declares another address");
        }
        const yaml = await readFile(paths.yaml, "utf8");
        if (yaml !== web3signerKeyConfig(paths.eth, join(dir, PASSWORD_FILE))) {
          throw fail(secret, paths.yaml, "is not the expected web3signer key configuration");
        }
      }),
    ),
    pool.decryptBlsKeystores(
      blsKeystores.map((keystore) => ({ keystore, password })),
      () => tick(),
    ),
  ]);
  blsResults.forEach((result, i) => {
    const secret = secrets[i]!;
    const path = keystorePaths(dir, secret.publicKeys.eth).bls;
    const declared = (blsKeystores[i] as { pubkey?: string }).pubkey?.toLowerCase();
    if (
      "error" in result ||
      result.pubkey.toLowerCase() !== secret.publicKeys.bls.toLowerCase() ||
      declared !== secret.publicKeys.bls.toLowerCase()
    ) {
      throw fail(secret, path, `does not decrypt to the BLS key ${secret.publicKeys.bls}`);
    }
  });
  out.progressDone();
}

async function existing(path: string, shown: (p: string) => string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  if (info.isSymbolicLink() || !info.isFile()) {
    throw new OutputError(
      "NOT_A_REGULAR_FILE",
      "exists and is not a regular file; refusing to use it",
      {
        file: shown(path),
      },
    );
  }
  return readFile(path, "utf8");
}

function parseOr<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  text: string,
  shown: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // A keystore asking for more work than any real one (see KEYSTORE_KDF_LIMITS): refused at once.
    if (issue && issue.path.some((part) => part === "kdfparams" || part === "params")) {
      throw new InputError(
        "KEYSTORE_UNUSABLE",
        `is a keystore this tool refuses: ${issue.message} (at ${issue.path.join(".")})`,
        { file: shown },
      );
    }
    throw new OutputError(
      "EXISTS_WITH_OTHER_CONTENT",
      "already exists and is not a keystore; refusing to overwrite it",
      {
        file: shown,
      },
    );
  }
  return parsed.data;
}

/**
 * check-secrets: what the directory holds for each attester, read by the names the store writes
 * (keystorePaths) and decrypted with the directory's password (else the one given, else asked),
 * eth with node's scrypt on libuv's threadpool and BLS on the derivation workers, as
 * process-private-keys does. A password that opens none of the keystores is refused (exit 78)
 * before anything is reported: every key would otherwise look mismatched.
 */
export async function readKeystoreDirKeys(
  dirOption: string,
  attesters: readonly { address: Hex }[],
  { passwords, pool }: Pick<SecretStoreContext, "passwords" | "pool">,
  out: Output,
): Promise<StoredAttesterKeys[]> {
  const dir = resolve(dirOption);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InputMissingError(
      info ? "NOT_A_DIRECTORY" : "NOT_FOUND",
      info ? "is not a directory" : "does not exist",
      {
        file: dirOption,
        field: "--secret-store",
      },
    );
  }
  const password =
    (await directoryPassword(dir, dirOption, passwords, InputMissingError)) ??
    (await passwords.forInput({ file: dirOption, keystore: join(dirOption, PASSWORD_FILE) }));
  const shown = (path: string) => join(dirOption, path.slice(dir.length + 1));
  const files = await readKeystoreFiles(dir, attesters, shown);
  const total =
    files.filter((f) => f.eth !== undefined).length +
    files.filter((f) => f.bls !== undefined).length;
  let done = 0;
  const tick = () => out.progress(`decrypting keystores: ${count(++done)}/${count(total)}`);
  const [eth, bls] = await Promise.all([
    decryptEthKeystores(files, password, shown, tick),
    decryptBlsKeystoreFiles(files, password, shown, pool, tick),
  ]);
  out.progressDone();
  const attempted = [...eth, ...bls].filter((k) => k.attempted).length;
  if (attempted > 0 && ![...eth, ...bls].some((k) => k.key.state === "key")) {
    throw new ConfigError(
      "WRONG_PASSWORD",
      `the keystore password opens none of the ${plural(attempted, "keystore")} in ${dirOption}: a wrong password`,
    );
  }
  return files.map((_, i) => ({ eth: eth[i]!.key, bls: bls[i]!.key }));
}

interface KeystoreFiles {
  paths: ReturnType<typeof keystorePaths>;
  eth?: string;
  bls?: string;
}

/** Each attester's keystore files as text (undefined: not there), by the store's names. */
async function readKeystoreFiles(
  dir: string,
  attesters: readonly { address: Hex }[],
  shown: (path: string) => string,
): Promise<KeystoreFiles[]> {
  // A few hundred files at a time: tens of thousands at once would run out of file descriptors.
  const files: KeystoreFiles[] = [];
  for (let start = 0; start < attesters.length; start += 128) {
    const chunk = attesters.slice(start, start + 128);
    files.push(
      ...(await Promise.all(
        chunk.map(async ({ address }) => {
          const paths = keystorePaths(dir, getAddress(address));
          const [eth, bls] = await Promise.all([
            readIfThere(paths.eth, shown),
            readIfThere(paths.bls, shown),
          ]);
          return { paths, eth, bls };
        }),
      )),
    );
  }
  return files;
}

/** A stored key, and whether decrypting it was tried (a keystore of the right shape was there). */
type Decrypted = { key: StoredKey; attempted: boolean };

const absentKeystore = (where: string): Decrypted => ({
  key: { state: "absent", where, why: "no such keystore" },
  attempted: false,
});
const unusableKeystore = (where: string, why: string, attempted: boolean): Decrypted => ({
  key: { state: "unusable", where, why },
  attempted,
});

/** The v3 keystores, decrypted with node's scrypt on libuv's threadpool (a few at a time). */
function decryptEthKeystores(
  files: readonly KeystoreFiles[],
  password: string,
  shown: (path: string) => string,
  tick: () => void,
): Promise<Decrypted[]> {
  return Promise.all(
    files.map(async ({ paths, eth }) => {
      const where = shown(paths.eth);
      if (eth === undefined) return absentKeystore(where);
      const keystore = ethKeystoreSchema.safeParse(jsonOrUndefined(eth));
      if (!keystore.success) return unusableKeystore(where, "is not a v3 keystore", false);
      const key = await decryptEthKeystore(keystore.data, password).catch((e: Error) => e);
      tick();
      if (key instanceof Error) {
        const why = `cannot be decrypted with the keystore password (${key.message})`;
        return unusableKeystore(where, why, true);
      }
      return { key: { state: "key" as const, where, key }, attempted: true };
    }),
  );
}

/** The EIP-2335 keystores, decrypted with Aztec's code on the derivation workers. */
async function decryptBlsKeystoreFiles(
  files: readonly KeystoreFiles[],
  password: string,
  shown: (path: string) => string,
  pool: SecretStoreContext["pool"],
  tick: () => void,
): Promise<Decrypted[]> {
  const decrypted = files.map(({ paths, bls }) =>
    bls === undefined
      ? absentKeystore(shown(paths.bls))
      : unusableKeystore(shown(paths.bls), "is not an EIP-2335 keystore", false),
  );
  const items = files.flatMap(({ bls }, i) => {
    const keystore = bls === undefined ? undefined : jsonOrUndefined(bls);
    return blsKeystoreSchema.safeParse(keystore).success ? [{ i, keystore, password }] : [];
  });
  if (items.length === 0) return decrypted;
  const results = await pool.decryptBlsKeystores(items, () => tick());
  items.forEach(({ i }, j) => {
    const result = results[j]!;
    const where = shown(files[i]!.paths.bls);
    decrypted[i] =
      "error" in result
        ? unusableKeystore(where, "cannot be decrypted with the keystore password", true)
        : { key: { state: "key", where, key: result.key }, attempted: true };
  });
  return decrypted;
}

async function readIfThere(
  path: string,
  shown: (path: string) => string,
): Promise<string | undefined> {
  return readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new InputMissingError(
      "UNREADABLE",
      `cannot be read (${error.code ?? "error"})`,
      { file: shown(path) },
      { cause: error },
    );
  });
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
