import type { Command } from "commander";
import { loadConfig, type ButlerConfig } from "../core/config.js";
import { consoleOutput, type Output, type Terminal } from "./output.js";

/** What every command handler gets: the resolved configuration and where to print. */
export interface CommandContext {
  config: ButlerConfig;
  out: Output;
  cwd: string;
}

/**
 * One run of the CLI as its commands see it: where it writes, and the exit code its command's
 * handler returned (run() exits with it).
 */
export interface CliRun extends Terminal {
  exitCode?: number;
}

/** Global options live on the root program: `--network`, `--config`. */
export async function contextFor(command: Command, out: Output): Promise<CommandContext> {
  const globals = command.optsWithGlobals<{ network?: string; config?: string }>();
  const cwd = process.cwd();
  const config = await loadConfig({ network: globals.network, configFile: globals.config, cwd });
  for (const warning of config.warnings) out.warn(warning);
  return { config, out, cwd };
}

/**
 * The action commander runs for a command: commander's arguments and options (then the Command)
 * go to `handler` with the command's context in place of the Command, and the exit code it
 * returns is kept for run().
 */
export function commandAction<A extends unknown[]>(
  run: CliRun,
  handler: (...args: [...A, CommandContext]) => Promise<number>,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command;
    const context = await contextFor(command, consoleOutput(run));
    run.exitCode = await handler(...([...args.slice(0, -1), context] as [...A, CommandContext]));
  };
}
