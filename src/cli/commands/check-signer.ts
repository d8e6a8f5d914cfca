import { Command } from "commander";
import { ExitCode, RpcUnavailableError } from "../../core/errors.js";
import { loadRemoteSignerAccounts } from "../../core/files/key-files.js";
import {
  askRemoteSigner,
  connectRemoteSigner,
  type RemoteSignerConnection,
} from "../../core/keys/remote-signers.js";
import {
  missingSignerAccounts,
  signerCheckDocument,
  signersToAsk,
  type MissingAccount,
  type SignerAccount,
  type SignerAnswer,
} from "../../core/plan/signer-accounts.js";
import { commandSummary } from "../commands.js";
import { commandAction, type CliRun, type CommandContext } from "../context.js";
import { count, plural, type Output } from "../output.js";

interface Options {
  json?: boolean;
}

export function checkSignerCommand(run: CliRun): Command {
  return new Command("check-signer")
    .description(commandSummary("check-signer"))
    .argument("<key-file...>", "the key files the node(s) will run: .new, high-availability files")
    .option("--json", "print a machine-readable document", false)
    .addHelpText(
      "after",
      `
Each account's signer is the one Aztec's node uses: the account's own remoteSignerUrl, else its
validator's remoteSigner, else the file's. Each signer is asked eth_accounts once, then to sign
(eth_sign) a fresh random challenge for every attester and publisher it serves; an account is
held only when it is listed and the signature recovers to it.

Exit codes: 0 every account is held; ${ExitCode.needsOperator} an account is not listed, or its signature is another
key's; ${ExitCode.unavailable} a signer cannot be reached or answers nonsense; the others as for every command.

Examples:
  $ aztec-butler check-signer prod-testnet-keyfile.json.new
  $ aztec-butler check-signer A_prod.json.new B_prod.json.new C_prod.json.new
  $ aztec-butler check-signer prod.json.new --json | jq '.missing'`,
    )
    .action(commandAction(run, checkSigner));
}

export async function checkSigner(
  files: string[],
  options: Options,
  ctx: CommandContext,
): Promise<number> {
  const { out, config } = ctx;

  // Load: every attester and publisher of every file, with the signer the node would ask.
  const accounts = await loadRemoteSignerAccounts(files);
  const signers = signersToAsk(accounts);

  // Ask the signers, all at once: one eth_accounts each, then the challenges in batches.
  const connections: RemoteSignerConnection[] = [];
  const answers = new Map<string, SignerAnswer>();
  try {
    for (const signer of signers) {
      connections.push(await connectRemoteSigner(signer, config.rpcOptions));
      if (signer.config.certPath !== undefined) warnNodeIgnoresCertificate(out, signer.source);
    }
    const answered = await Promise.all(connections.map((c) => askRemoteSigner(c)));
    connections.forEach((c, i) => answers.set(c.signer.id, answered[i]!));
  } finally {
    for (const connection of connections) connection.close();
  }

  // Report: per signer, then every account that is not held.
  const missing = missingSignerAccounts(accounts, answers);
  for (const connection of connections) out.info(describeSigner(connection, answers));
  const shown = connections.map((c) => ({ id: c.signer.id, shownUrl: c.shownUrl }));
  if (options.json)
    out.result(JSON.stringify(signerCheckDocument(shown, answers, missing), null, 2));
  else printMissing(out, missing, new Map(shown.map((s) => [s.id, s.shownUrl])), accounts);
  const unreachable = connections.filter((c) => !answers.get(c.signer.id)!.reachable);
  if (unreachable.length > 0) {
    const first = answers.get(unreachable[0]!.signer.id) as { problem: string };
    const more =
      unreachable.length > 1 ? ` (and ${plural(unreachable.length - 1, "other signer")})` : "";
    throw new RpcUnavailableError(
      "SIGNER_UNREACHABLE",
      `${first.problem}${more}; none of its accounts counts as held`,
    );
  }
  return missing.length > 0 ? ExitCode.needsOperator : 0;
}

/** Aztec's node 4.1.2 has the certificate fields in its schema but its RemoteSigner never uses them. */
function warnNodeIgnoresCertificate(out: Output, where: { file?: string; index?: number }): void {
  out.warn(
    `${where.file}${where.index === undefined ? "" : `, validator ${where.index}`}: certPath is ` +
      "used here, but Aztec's node (@aztec/node-keystore 4.1.2) connects to its remote signer " +
      "without a client certificate; a signer that requires one will refuse the node",
  );
}

function describeSigner(
  connection: RemoteSignerConnection,
  answers: ReadonlyMap<string, SignerAnswer>,
): string {
  const answer = answers.get(connection.signer.id)!;
  const asked = plural(connection.signer.addresses.length, "account");
  if (!answer.reachable) return `signer ${connection.shownUrl}: not usable (${asked} of the files)`;
  const signed = [...answer.signatures.values()].filter((s) => "recovered" in s).length;
  return (
    `signer ${connection.shownUrl}: ${plural(answer.listed.size, "account")} listed; ${asked} of ` +
    `the files asked, ${count(signed)} challenges signed (${plural(connection.requests, "HTTP request")})`
  );
}

function printMissing(
  out: Output,
  missing: readonly MissingAccount[],
  shownUrls: ReadonlyMap<string, string>,
  accounts: readonly SignerAccount[],
): void {
  for (const m of missing) {
    const signer = shownUrls.get(m.signerId)!;
    const where = `${m.file}, ${m.indexes.length === 1 ? "validator" : "validators"} ${m.indexes.join(", ")}`;
    const why =
      m.reason === "NOT_LISTED"
        ? `not listed by ${signer}`
        : m.reason === "SIGNER_UNREACHABLE"
          ? `its signer ${signer} cannot be asked`
          : m.refused !== undefined
            ? `listed by ${signer}, which refuses to sign with it (${m.refused})`
            : `listed by ${signer}, but it signs as ${m.signedAs}`;
    out.result(`missing: ${m.role} ${m.address} (${where}): ${why} [${m.reason}]`);
  }
  const distinct = (role: string) =>
    new Set(accounts.filter((a) => a.role === role).map((a) => a.address.toLowerCase())).size;
  const checked = `${plural(distinct("attester"), "attester")} and ${plural(distinct("publisher"), "publisher")}`;
  out.result(
    missing.length === 0
      ? `every account is held: ${checked}, each listed by its signer and signing as itself`
      : `${plural(missing.length, "account")} not held (of ${checked})`,
  );
}
