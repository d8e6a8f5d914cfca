import { Command, CommanderError } from "commander";
import { prepareDeploymentCommand } from "./commands/prepare-deployment.js";
import { processPrivateKeysCommand } from "./commands/process-private-keys.js";
import { addKeysCommand } from "./commands/add-keys.js";
import { statusCommand } from "./commands/status.js";
import { fillCoinbasesCommand } from "./commands/fill-coinbases.js";
import { StdoutError } from "../core/errors.js";
import { flushStream, watchStdout } from "./output.js";
import { reportError } from "./run.js";

import packageJson from "../../package.json" with { type: "json" };

const { version } = packageJson;

export function buildProgram(): Command {
  const program = new Command("aztec-butler")
    .description(
      "Take new Aztec validator keys to deployed on the node and registered with the staking provider",
    )
    .version(version)
    .option(
      "--network <name>",
      "network whose config and scraper state to use (default: $NETWORK, else testnet)",
    )
    .option(
      "--config <file>",
      "a dotenv file with configuration (overrides ./.env and the network base file)",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.addCommand(processPrivateKeysCommand());
  program.addCommand(prepareDeploymentCommand());
  program.addCommand(addKeysCommand());
  program.addCommand(statusCommand());
  program.addCommand(fillCoinbasesCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const stdoutFailure = watchStdout();
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError && error.exitCode === 0)) {
      process.exitCode = reportError(error);
    }
  }
  // The result may not have reached stdout: say so, once, rather than crash on the stream error.
  await flushStream(process.stdout).catch(() => undefined);
  const failure = stdoutFailure();
  if (failure && !process.exitCode) {
    const code = (failure as NodeJS.ErrnoException).code ?? failure.message;
    process.exitCode = reportError(
      new StdoutError(
        `cannot write to standard output (${code}); what the command printed is incomplete ` +
          "(the files it wrote are complete)",
      ),
    );
  }
}
