import type { Command } from "commander";
import { loadConfig, type ButlerConfig } from "../core/config.js";
import type { Output } from "./output.js";

/** What every command handler gets: the resolved configuration and where to print. */
export interface CommandContext {
  config: ButlerConfig;
  out: Output;
  cwd: string;
}

/** Global options live on the root program: `--network`, `--config`. */
export async function contextFor(command: Command, out: Output): Promise<CommandContext> {
  const globals = command.optsWithGlobals<{ network?: string; config?: string }>();
  const cwd = process.cwd();
  const config = await loadConfig({ network: globals.network, configFile: globals.config, cwd });
  for (const warning of config.warnings) out.warn(warning);
  return { config, out, cwd };
}
