// The CLI's commands as `--help` lists them. A run loads only the module of the command it runs
// (main.ts's loaders; esbuild splits each into a chunk of its own): `--help` and the summary list
// need none of them, so they start in about the time Node itself does. This file imports no
// command, so each command's module can take its description from here without an import cycle.
// tests/unit/cli-commands.test.ts checks each entry's term against its module.

export interface CommandEntry {
  name: string;
  aliases?: readonly string[];
  /** The line in `aztec-butler --help`, also the command's own description. */
  summary: string;
  /** Its name, alias, `[options]` and arguments, as commander's help writes them. */
  term: string;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "process-private-keys",
    summary:
      "derive the public keys of a new private-key file, check none is queued, write public-<file>",
    term: "process-private-keys [options] <private-key-file>",
  },
  {
    name: "prepare-deployment",
    summary:
      "write <production-file>.new: old + new validators, publishers reassigned and funded; update the scraper config",
    term: "prepare-deployment [options] <production-file> <publishers-file>",
  },
  {
    name: "add-keys",
    aliases: ["get-add-keys-to-staking-provider-calldata"],
    summary:
      "print the staking registry call that adds a private-key file's validators to the provider's queue",
    term: "add-keys|get-add-keys-to-staking-provider-calldata [options] <private-key-file>",
  },
  {
    name: "status",
    summary:
      "where every attester is on chain (provider queue, entry queue, active, exited) and what needs you",
    term: "status [options] [key-file...]",
  },
  {
    name: "fill-coinbases",
    summary:
      "write <production-file>.new in which every staked validator without a coinbase gets its split contract from the chain",
    term: "fill-coinbases [options] <production-file>",
  },
  {
    name: "drip-queue",
    summary:
      "print the staking registry call that removes the bad keys at the head of the provider's queue",
    term: "drip-queue [options]",
  },
  {
    name: "check-signer",
    summary:
      "check that the remote signers of key files hold every attester and publisher, and sign with it",
    term: "check-signer [options] <key-file...>",
  },
  {
    name: "check-secrets",
    summary:
      "check that the secret store holds both private keys of every attester of key files, and that they derive to the files' public keys",
    term: "check-secrets [options] <key-file...>",
  },
  {
    name: "fund-publishers",
    summary:
      "print the ETH transfers that top up every publisher below MIN_ETH_PER_ATTESTER × the attesters it serves",
    term: "fund-publishers [options] <key-file...>",
  },
];

/** The summary of the command `name`, for its module's `.description()`. */
export function commandSummary(name: string): string {
  const entry = COMMANDS.find((command) => command.name === name);
  if (!entry) throw new Error(`no command ${name} in src/cli/commands.ts`);
  return entry.summary;
}

/** Program options that take a value (so that value is not taken for the command's name). */
const GLOBAL_OPTIONS_WITH_VALUES = new Set(["--network", "--config"]);

/**
 * The command a command line runs (or asks help for: `help <command>`), found as commander will
 * find it: the first operand, program options and their values skipped. Undefined for `--help`,
 * `--version`, no command or an unknown one (commander then says so, from the summaries).
 */
export function commandToLoad(args: readonly string[]): CommandEntry | undefined {
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) i++;
    else if (!arg.startsWith("-")) operands.push(arg);
  }
  const [first, second] = operands;
  const name = first === "help" ? second : first;
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name ?? ""));
}
