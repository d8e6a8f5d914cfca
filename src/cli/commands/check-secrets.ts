import { Command } from "commander";
import { ExitCode, UsageError } from "../../core/errors.js";
import { loadSecretAttesters, readKeyFiles } from "../../core/files/key-files.js";
import { keystorePasswords } from "../../core/keys/keystore-passwords.js";
import { KeyDerivationPool } from "../../core/keys/derivation-pool.js";
import {
  describeSecretStore,
  findSecretProblems,
  type ReadableSecretStoreSpec,
} from "../../core/keys/secret-store.js";
import { secretCheckDocument, type SecretProblem } from "../../core/plan/secret-check.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import {
  passwordFileOption,
  secretStoreOption,
  type SecretStoreSpec,
} from "../keystore-options.js";
import { plural, type Output } from "../output.js";

interface Options {
  secretStore: SecretStoreSpec;
  passwordFile?: string;
  json?: boolean;
}

export function checkSecretsCommand(run: CliRun): Command {
  return new Command("check-secrets")
    .description(commandSummary("check-secrets"))
    .argument(
      "<key-file...>",
      "public-key, production (.new / deployed) or private-key files whose attesters to check",
    )
    .addOption(
      secretStoreOption(
        "where process-private-keys stored the keys: keystore-dir:<dir> or gcp:<project-id>",
      ).makeOptionMandatory(),
    )
    .addOption(passwordFileOption())
    .option("--json", "print a machine-readable document", false)
    .addHelpText(
      "after",
      `
Run it before deleting the private-key file: once that is gone, a key missing from the store is
lost for good. keystore-dir:<dir> decrypts every keystore with <dir>/keystore-password.txt (else
the password from --password-file, the environment or a prompt); gcp:<project-id> reads each
secret's latest version by the names the store writes. No key or password is ever printed.

Exit codes: 0 every key is there and derives to the file's public key; ${ExitCode.needsOperator} a key is missing
or another; ${ExitCode.config} a password that opens no keystore; ${ExitCode.unavailable} the store cannot be reached; the others
as for every command.

Examples:
  $ aztec-butler check-secrets new-private-keys.json --secret-store keystore-dir:./validator-keys
  $ aztec-butler --network mainnet check-secrets prod.json --secret-store gcp:my-gcp-project --json`,
    )
    .action(commandAction(run, checkSecrets));
}

export async function checkSecrets(
  files: string[],
  options: Options,
  ctx: CommandContext,
): Promise<number> {
  const { out, config } = ctx;
  const store = readableStore(options.secretStore);
  const passwords = keystorePasswords({ passwordFile: options.passwordFile });
  // Load: every attester of the files, with both its public keys (derived on the workers from a
  // private-key file), each once.
  const { keyFiles, validators } = await readKeyFiles(files);
  await using pool = new KeyDerivationPool(validators);
  const attesters = await loadSecretAttesters(keyFiles, { pool, passwords, out });
  // Check the store: each key read back by the store's own names, derived and compared.
  const problems = await findSecretProblems(store, attesters, { config, passwords, pool }, out);
  // Report.
  out.info(
    `read ${plural(attesters.length * 2, "key")} of ${plural(attesters.length, "attester")} from ${describeSecretStore(store)}`,
  );
  if (options.json) out.result(JSON.stringify(secretCheckDocument(problems), null, 2));
  else printProblems(out, problems, attesters.length, store);
  return problems.length > 0 ? ExitCode.needsOperator : 0;
}

function readableStore(spec: SecretStoreSpec): ReadableSecretStoreSpec {
  if (spec.kind === "print") {
    throw new UsageError(
      "NOTHING_TO_CHECK",
      "--secret-store print stores nothing, so there is nothing to check; give the store " +
        "process-private-keys wrote to: keystore-dir:<dir> or gcp:<project-id>",
    );
  }
  return spec;
}

function printProblems(
  out: Output,
  problems: readonly SecretProblem[],
  attesterCount: number,
  store: ReadableSecretStoreSpec,
): void {
  for (const p of problems) {
    out.result(
      `${p.reason === "MISSING" ? "missing" : "mismatch"}: attester ${p.attester.address} ` +
        `(${p.attester.file}, validator ${p.attester.index}) ${p.kind} key: ${p.why} [${p.reason}]`,
    );
  }
  out.result(
    problems.length === 0
      ? `all ${plural(attesterCount * 2, "key")} of ${plural(attesterCount, "attester")} are in ${describeSecretStore(store)} and derive to the key files' public keys`
      : `${plural(problems.length, "key")} of ${plural(attesterCount, "attester")} missing or mismatched in ${describeSecretStore(store)}`,
  );
}
