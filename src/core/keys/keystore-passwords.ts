import { ConfigError, UsageError, type ErrorLocation } from "../errors.js";
import { readInputFile } from "../files/json-file.js";

/** The environment variable that may carry the keystore password (after --password-file). */
export const KEYSTORE_PASSWORD_ENV = "AZTEC_BUTLER_KEYSTORE_PASSWORD";

/**
 * Where keystore passwords come from, in order: the key file's own `password` field (for input
 * keystores), `--password-file <file>`, AZTEC_BUTLER_KEYSTORE_PASSWORD, a prompt when stdin is a
 * terminal (never echoed). Asked at most once per command; never printed.
 */
export interface KeystorePasswords {
  /** The password for input keystores that carry none; `needed` says which one asked first. */
  forInput(needed: ErrorLocation & { keystore: string }): Promise<string>;
  /** The password for new keystores: from the file or variable, else typed twice. */
  forNewKeystores(purpose: string): Promise<string>;
  /** The password given by --password-file or the environment, if any (never a prompt). */
  given(): Promise<string | undefined>;
}

export interface PasswordSources {
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

export function keystorePasswords(sources: PasswordSources = {}): KeystorePasswords {
  const env = sources.env ?? process.env;
  const stdin = sources.stdin ?? process.stdin;
  const stderr = sources.stderr ?? process.stderr;
  let given: Promise<string | undefined> | undefined;
  const fromFileOrEnv = () => (given ??= readGivenPassword(sources.passwordFile, env));
  let typed: Promise<string> | undefined;
  return {
    given: fromFileOrEnv,
    async forInput(needed) {
      const password = await fromFileOrEnv();
      if (password !== undefined) return password;
      if (stdin.isTTY) {
        typed ??= promptHidden(`password of the keystores in ${needed.file}: `, stdin, stderr);
        return typed;
      }
      throw new ConfigError(
        "NO_PASSWORD",
        `keystore ${needed.keystore} has no password: put it in the key file's "password" field, ` +
          `give --password-file <file>, set ${KEYSTORE_PASSWORD_ENV}, or run on a terminal to be asked`,
        needed,
      );
    },
    async forNewKeystores(purpose) {
      const password = await fromFileOrEnv();
      if (password !== undefined) {
        if (password === "") {
          throw new ConfigError(
            "EMPTY_PASSWORD",
            `the password for ${purpose} is empty (the node refuses keystores without a password)`,
          );
        }
        return password;
      }
      if (!stdin.isTTY) {
        throw new ConfigError(
          "NO_PASSWORD",
          `${purpose} needs a password: give --password-file <file>, set ${KEYSTORE_PASSWORD_ENV}, ` +
            "or run on a terminal to be asked",
        );
      }
      const first = await promptHidden(`new password for ${purpose}: `, stdin, stderr);
      if (first === "") throw new UsageError("EMPTY_PASSWORD", "an empty password is not accepted");
      const second = await promptHidden("the same password again: ", stdin, stderr);
      if (first !== second)
        throw new UsageError("PASSWORDS_DIFFER", "the two passwords differ; nothing was written");
      return first;
    },
  };
}

/** No password file is anywhere near this: a larger one is the wrong file. */
const MAX_PASSWORD_FILE_BYTES = 64 * 1024;

/**
 * A password as a file holds it, by the one rule every password file follows (--password-file, a
 * keystore directory's keystore-password.txt, made by the operator or by this tool): a UTF-8 byte
 * order mark and one trailing `\n` or `\r\n` are not part of it (`echo pw > file` writes "pw\n").
 */
export function passwordFromFileText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r?\n$/, "");
}

/**
 * A password file's password (passwordFromFileText): a regular file of at most 64 KiB, read as an
 * input of the run (no output may be it).
 */
export async function readPasswordFile(path: string): Promise<string> {
  return passwordFromFileText(
    await readInputFile(path, "a password file", MAX_PASSWORD_FILE_BYTES),
  );
}

/** --password-file's password (readPasswordFile), else the variable, else nothing. */
async function readGivenPassword(
  passwordFile: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (passwordFile !== undefined) return readPasswordFile(passwordFile);
  return env[KEYSTORE_PASSWORD_ENV];
}

/** Reads one line from a terminal without echoing it. */
export function promptHidden(
  question: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
): Promise<string> {
  stderr.write(question);
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          finish();
          return resolve(value);
        }
        if (ch === "\u0003" || ch === "\u0004") {
          finish();
          return reject(
            new UsageError(
              "PROMPT_INTERRUPTED",
              "password prompt interrupted; nothing was written",
            ),
          );
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
