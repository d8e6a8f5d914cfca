import { Command, CommanderError, Help } from "commander";
import { ExitCode, StdoutError } from "../core/errors.js";
import { withRunInputs } from "../core/files/file-identity.js";
import { flushStream, processTerminal, watchStream, type Terminal } from "./output.js";
import { reportError } from "./run.js";
import { phaseTimingsLine, startPhaseTimings, timed } from "../core/phase-timings.js";
import { prestartDerivationWorkers } from "../core/keys/derivation-pool.js";
import { releasePrestartedWorkers } from "../core/files/worker-entry.js";
import { prestartNodeKeystoreCheck } from "../core/files/node-keystore-check.js";
import { COMMANDS, commandToLoad, type CommandEntry } from "./commands.js";
import type { CliRun } from "./context.js";

import packageJson from "../../package.json" with { type: "json" };

const { version } = packageJson;

type CommandFactory = (run: CliRun) => Command;

/** Each command's module, loaded only by a run of that command (esbuild: a chunk of its own). */
const COMMAND_MODULES: Record<string, () => Promise<CommandFactory>> = {
  "process-private-keys": async () =>
    (await import("./commands/process-private-keys.js")).processPrivateKeysCommand,
  "prepare-deployment": async () =>
    (await import("./commands/prepare-deployment.js")).prepareDeploymentCommand,
  "add-keys": async () => (await import("./commands/add-keys.js")).addKeysCommand,
  status: async () => (await import("./commands/status.js")).statusCommand,
  "fill-coinbases": async () => (await import("./commands/fill-coinbases.js")).fillCoinbasesCommand,
  "drip-queue": async () => (await import("./commands/drip-queue.js")).dripQueueCommand,
  "check-signer": async () => (await import("./commands/check-signer.js")).checkSignerCommand,
  "check-secrets": async () => (await import("./commands/check-secrets.js")).checkSecretsCommand,
  "fund-publishers": async () =>
    (await import("./commands/fund-publishers.js")).fundPublishersCommand,
};

/**
 * The workers a command will need (given the command line's arguments), started before its
 * module loads: Barretenberg or Aztec's keystore code take a worker a few hundred milliseconds to
 * load, beside the main thread loading the command, and the command's pool or check takes the
 * workers over.
 */
const PRESTARTED_WORKERS: Record<string, (args: readonly string[]) => void> = {
  "process-private-keys": prestartDerivationWorkers,
  "check-secrets": prestartDerivationWorkers,
  "prepare-deployment": prestartNodeKeystoreCheck,
  "fill-coinbases": prestartNodeKeystoreCheck,
};

/** The factory of every command: for tests that look at the whole program at once. */
export async function loadAllCommands(): Promise<Map<string, CommandFactory>> {
  const entries = await Promise.all(
    COMMANDS.map(async ({ name }) => [name, await COMMAND_MODULES[name]!()] as const),
  );
  return new Map(entries);
}

/**
 * The program with every command: those in `loaded` in full, the others as their name, aliases
 * and summary only (what `--help` lists; commander finds unknown commands and typos from them).
 */
export function buildProgram(
  run: CliRun = { ...processTerminal },
  loaded: ReadonlyMap<string, CommandFactory> = new Map(),
): Command {
  // The run's terminal for the subcommands too (addCommand does not pass it on): their usage
  // errors and help go where the rest of the run's output goes (recorded in-process in tests).
  const output = {
    writeOut: (text: string) => run.stdout.write(text),
    writeErr: (text: string) => run.stderr.write(text),
  };
  const summaryOnly = new Map<Command, CommandEntry>();
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
    .configureOutput(output)
    .configureHelp({
      subcommandTerm: (command) =>
        summaryOnly.get(command)?.term ?? new Help().subcommandTerm(command),
    });
  for (const entry of COMMANDS) {
    const factory = loaded.get(entry.name);
    if (factory) {
      program.addCommand(factory(run));
      continue;
    }
    const stub = new Command(entry.name).aliases(entry.aliases ?? []).description(entry.summary);
    summaryOnly.set(stub, entry);
    program.addCommand(stub);
  }
  for (const command of program.commands) command.exitOverride().configureOutput(output);
  return program;
}

/** The program for one command line: the command it runs loaded, the others summaries only. */
async function programFor(argv: readonly string[], run: CliRun): Promise<Command> {
  const entry = commandToLoad(argv.slice(2));
  if (!entry) return buildProgram(run);
  const asksHelp = argv.includes("--help") || argv.includes("-h") || argv[2] === "help";
  if (!asksHelp) PRESTARTED_WORKERS[entry.name]?.(argv.slice(2));
  const factory = await timed("command modules", COMMAND_MODULES[entry.name]!);
  return buildProgram(run, new Map([[entry.name, factory]]));
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
  startPhaseTimings();
  const cliRun: CliRun = { stdout: terminal.stdout, stderr: terminal.stderr };
  let program: Command | undefined;
  const verbose = () => program?.opts<{ verbose?: boolean }>().verbose === true;
  let code = 0;
  try {
    program = await programFor(argv, cliRun);
    // The run's input files are recorded, so that no output can be one of them (file-identity.ts).
    await withRunInputs(() => program!.parseAsync(argv));
    code = cliRun.exitCode ?? 0;
  } catch (error) {
    if (!(error instanceof CommanderError && error.exitCode === 0)) {
      observer.failedWith?.(error);
      code = reportError(error, { stderr: terminal.stderr, verbose: verbose() });
    }
  } finally {
    await releasePrestartedWorkers();
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
  const timings = phaseTimingsLine(program?.args[0]);
  if (timings) terminal.stderr.write(timings);
  return code;
}

/** The bin's entry: runs on the process's own streams and sets its exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  process.exitCode = await run(argv, processTerminal);
}
