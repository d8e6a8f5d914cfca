import { readFile } from "node:fs/promises";
import { ConfigError, InputMissingError, UsageError, type ErrorLocation } from "../errors.js";

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
            `the password for ${purpose} is empty (the node refuses keystores without a password)`,
          );
        }
        return password;
      }
      if (!stdin.isTTY) {
        throw new ConfigError(
          `${purpose} needs a password: give --password-file <file>, set ${KEYSTORE_PASSWORD_ENV}, ` +
            "or run on a terminal to be asked",
        );
      }
      const first = await promptHidden(`new password for ${purpose}: `, stdin, stderr);
      if (first === "") throw new UsageError("an empty password is not accepted");
      const second = await promptHidden("the same password again: ", stdin, stderr);
      if (first !== second) throw new UsageError("the two passwords differ; nothing was written");
      return first;
    },
  };
}

/** --password-file's content (one trailing newline dropped), else the variable, else nothing. */
async function readGivenPassword(
  passwordFile: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(passwordFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputMissingError(
        code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`,
        { file: passwordFile, field: "--password-file" },
      );
    }
    return text.replace(/\r?\n$/, "");
  }
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
          return reject(new UsageError("password prompt interrupted; nothing was written"));
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
