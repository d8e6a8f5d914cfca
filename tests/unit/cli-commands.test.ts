/**
 * The command table (src/cli/commands.ts) that `--help` lists without loading any command: each
 * entry says what its module says, a command line loads the command it runs, and the summaries-only
 * program prints the same help as the program with every command loaded.
 */
import { Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, commandToLoad } from "../../src/cli/commands.js";
import { buildProgram, loadAllCommands } from "../../src/cli/main.js";
import { processTerminal } from "../../src/cli/output.js";

function helpOf(program: Command): string {
  let text = "";
  program.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: () => undefined });
  program.outputHelp();
  return text;
}

describe("the command table", () => {
  it("names every command with its module's aliases, description and help term", async () => {
    const factories = await loadAllCommands();
    expect([...factories.keys()]).toEqual(COMMANDS.map((c) => c.name));
    for (const entry of COMMANDS) {
      const command = factories.get(entry.name)!({ ...processTerminal });
      expect({
        name: command.name(),
        aliases: command.aliases(),
        summary: command.description(),
        term: new Help().subcommandTerm(command),
      }).toEqual({
        name: entry.name,
        aliases: entry.aliases ?? [],
        summary: entry.summary,
        term: entry.term,
      });
    }
  });

  it("gives the same --help with no command loaded as with all of them", async () => {
    const all = buildProgram({ ...processTerminal }, await loadAllCommands());
    const summariesOnly = buildProgram({ ...processTerminal });
    const expected = helpOf(all);
    expect(expected).toContain("process-private-keys [options] <private-key-file>");
    expect(helpOf(summariesOnly)).toBe(expected);
  });

  it.each([
    [["process-private-keys", "keys.json"], "process-private-keys"],
    [["--network", "status", "status"], "status"],
    [["--config", "add-keys", "--verbose", "drip-queue"], "drip-queue"],
    [["--network=mainnet", "get-add-keys-to-staking-provider-calldata", "k.json"], "add-keys"],
    [["help", "fill-coinbases"], "fill-coinbases"],
    [["check-signer", "--help"], "check-signer"],
    [["--help"], undefined],
    [["help"], undefined],
    [["statu"], undefined],
    [["--", "status"], undefined],
    [[], undefined],
  ])("loads the command that %j runs: %s", (args, expected) => {
    expect(commandToLoad(args)?.name).toBe(expected);
  });
});
