import { Command, CommanderError } from "commander";
import { prepareDeploymentCommand } from "./commands/prepare-deployment.js";
import { processPrivateKeysCommand } from "./commands/process-private-keys.js";
import { addKeysCommand } from "./commands/add-keys.js";
import { statusCommand } from "./commands/status.js";
import { fillCoinbasesCommand } from "./commands/fill-coinbases.js";
import { dripQueueCommand } from "./commands/drip-queue.js";
import { checkSignerCommand } from "./commands/check-signer.js";
import { checkSecretsCommand } from "./commands/check-secrets.js";
import { fundPublishersCommand } from "./commands/fund-publishers.js";
import { ExitCode, StdoutError } from "../core/errors.js";
import { withRunInputs } from "../core/files/file-identity.js";
import { flushStream, processTerminal, watchStream, type Terminal } from "./output.js";
import { reportError } from "./run.js";
import type { CliRun } from "./context.js";

import packageJson from "../../package.json" with { type: "json" };

const { version } = packageJson;

export function buildProgram(run: CliRun = { ...processTerminal }): Command {
  // The run's terminal for the subcommands too (addCommand does not pass it on): their usage
  // errors and help go where the rest of the run's output goes (recorded in-process in tests).
  const output = {
    writeOut: (text: string) => run.stdout.write(text),
    writeErr: (text: string) => run.stderr.write(text),
  };
  const program = new Command("aztec-butler")
    .description(
      "Take new Aztec validator keys to deployed on the node and registered with the staking provider",
    )
    .version(version)
    .option(
      "--network <name>",
      "network whose config and scraper state to use; mainnet and testnet also fix the L1 chain id and Aztec's StakingRegistry (default: $NETWORK, else testnet)",
    )
    .option(
      "--config <file>",
      "a dotenv file with configuration (overrides ./.env and the network base file)",
    )
    .option("--verbose", "on an error, also print the chain of causes behind it")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput(output);
  program.addCommand(processPrivateKeysCommand(run));
  program.addCommand(prepareDeploymentCommand(run));
  program.addCommand(addKeysCommand(run));
  program.addCommand(statusCommand(run));
  program.addCommand(fillCoinbasesCommand(run));
  program.addCommand(dripQueueCommand(run));
  program.addCommand(checkSignerCommand(run));
  program.addCommand(checkSecretsCommand(run));
  program.addCommand(fundPublishersCommand(run));
  for (const command of program.commands) command.exitOverride().configureOutput(output);
  return program;
}

/** What a caller of run() may watch besides the output (tests: the error behind a refusal). */
export interface RunObserver {
  /** The error the run failed with, as reportError is given it. */
  failedWith?(error: unknown): void;
}

/**
 * Runs the CLI once with `argv` (node's: the first two entries are skipped) and returns the exit
 * code; writes only to `terminal`. Tests run it in-process with recording streams.
 */
export async function run(
  argv: readonly string[],
  terminal: Terminal = processTerminal,
  observer: RunObserver = {},
): Promise<number> {
  const stdoutFailure = watchStream(terminal.stdout);
  // stderr failing (`2>/dev/full`, a closed pipe) must not crash the run with exit 1.
  const stderrFailure = watchStream(terminal.stderr);
  const cliRun: CliRun = { stdout: terminal.stdout, stderr: terminal.stderr };
  const program = buildProgram(cliRun);
  const verbose = () => program.opts<{ verbose?: boolean }>().verbose === true;
  let code = 0;
  try {
    // The run's input files are recorded, so that no output can be one of them (file-identity.ts).
    await withRunInputs(() => program.parseAsync(argv));
    code = cliRun.exitCode ?? 0;
  } catch (error) {
    if (!(error instanceof CommanderError && error.exitCode === 0)) {
      observer.failedWith?.(error);
      code = reportError(error, { stderr: terminal.stderr, verbose: verbose() });
    }
  }
  // The result may not have reached stdout: say so, once, rather than crash on the stream error.
  await flushStream(terminal.stdout).catch(() => undefined);
  const failure = stdoutFailure();
  if (failure && code === 0) {
    const reason = (failure as NodeJS.ErrnoException).code ?? failure.message;
    const error = new StdoutError(
      "STDOUT_FAILED",
      `cannot write to standard output (${reason}); what the command printed is incomplete ` +
        "(the files it wrote are complete)",
      {},
      { cause: failure },
    );
    observer.failedWith?.(error);
    code = reportError(error, { stderr: terminal.stderr, verbose: verbose() });
  }
  // Warnings or the error line may be lost: a run that otherwise succeeded says so by its code
  // (74); a failed run keeps its own code, which says more than "stderr failed".
  // (stderr is synchronous for files and pipes: its failures are known by now.)
  if (stderrFailure() && code === 0) code = ExitCode.ioError;
  return code;
}

/** The bin's entry: runs on the process's own streams and sets its exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  process.exitCode = await run(argv, processTerminal);
}
