import { join, resolve } from "node:path";
import dotenv from "dotenv";
import envPaths from "env-paths";
import { parseEther } from "viem";
import { ConfigError } from "./errors.js";
import { readInputFile } from "./files/json-file.js";
import {
  configKeys,
  configValueSchemas,
  networkNameSchema,
  type ConfigKey,
} from "../types/config.js";

export const DEFAULT_NETWORK = "testnet";
/** ButlerConfig.networkSource when neither --network nor NETWORK chose the network. */
const DEFAULT_NETWORK_SOURCE = "the default network";

/** What a network preset fixes: the L1 chain and the staking registry on it. */
export interface NetworkPreset {
  chainId: number;
  /** Aztec's StakingRegistry on that chain. */
  stakingRegistry: `0x${string}`;
}

/**
 * The networks whose chain and StakingRegistry Aztec documents (docs, "Networks" page, version
 * 4.2.0): with `--network mainnet` or `testnet` an operator sets only ETHEREUM_NODE_URL and the
 * provider. ETHEREUM_CHAIN_ID and STAKING_REGISTRY_ADDRESS override them. (Aztec 2.x's testnet
 * registry 0xc3860c45e5F0b1eF3000dbF93149756f16928ADB is stale.)
 */
export const NETWORK_PRESETS: Readonly<Record<string, NetworkPreset>> = {
  mainnet: { chainId: 1, stakingRegistry: "0x042dF8f42790d6943F41C25C2132400fd727f452" },
  testnet: { chainId: 11155111, stakingRegistry: "0xC6EcC1832c8BF6a41c927BEb4E9ec610FBeDd1C2" },
};

/** The documented StakingRegistry of an L1 chain, used when STAKING_REGISTRY_ADDRESS is not set. */
export function defaultStakingRegistryOf(chainId: number): `0x${string}` | undefined {
  return Object.values(NETWORK_PRESETS).find((preset) => preset.chainId === chainId)
    ?.stakingRegistry;
}
export const DEFAULTS = {
  MIN_ETH_PER_ATTESTER: "0.1",
  RPC_TIMEOUT_MS: 10_000,
  RPC_RETRIES: 2,
  RPC_BATCH_SIZE: 500,
} as const;

/**
 * Where aztec-butler keeps per-user files (env-paths: `~/.config/aztec-butler` and
 * `~/.local/share/aztec-butler` on Linux, honouring XDG_CONFIG_HOME and XDG_DATA_HOME).
 */
export function butlerPaths(): { config: string; data: string } {
  const paths = envPaths("aztec-butler", { suffix: "" });
  return { config: paths.config, data: paths.data };
}

export interface ConfigSourceOptions {
  /** `--network`; else NETWORK from the environment; else testnet. */
  network?: string;
  /** `--config <file>`: a dotenv file. */
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A raw value and where it came from, so errors can say "ETHEREUM_NODE_URL (from ./.env)". */
interface SourcedValue {
  text: string;
  source: string;
}

/**
 * The operator's configuration with every value parsed. Values are read lazily by `require*`
 * and `optional*` so that a command only fails on keys it actually needs.
 */
export class ButlerConfig {
  constructor(
    readonly network: string,
    /** How the network was chosen, for messages: "--network", "NETWORK (from the environment)". */
    readonly networkSource: string,
    private readonly values: ReadonlyMap<ConfigKey, SourcedValue>,
    /** The files consulted, in precedence order, for the "not set" message. */
    private readonly consulted: readonly string[],
    /** Lines of the dotenv files that are not KEY=value, by file and line number (never the line). */
    readonly warnings: readonly string[] = [],
  ) {}

  /**
   * The chain and registry the network fixes (mainnet, testnet) when the operator chose it
   * (--network or NETWORK); undefined for other names and for the default network, which, as
   * before presets existed, fixes nothing: the registry then follows the node's chain id, and the
   * chain id is checked only when ETHEREUM_CHAIN_ID is set.
   */
  get networkPreset(): NetworkPreset | undefined {
    if (this.networkSource === DEFAULT_NETWORK_SOURCE) return undefined;
    return Object.hasOwn(NETWORK_PRESETS, this.network) ? NETWORK_PRESETS[this.network] : undefined;
  }

  sourceOf(key: ConfigKey): string | undefined {
    return this.values.get(key)?.source;
  }

  optional<K extends ConfigKey>(key: K): ParsedValue<K> | undefined {
    const raw = this.values.get(key);
    if (raw === undefined || raw.text.trim() === "") return undefined;
    const result = configValueSchemas[key].safeParse(raw.text.trim());
    if (!result.success) {
      throw new ConfigError(
        "INVALID_SETTING",
        `${key} (from ${raw.source}) ${result.error.issues[0]?.message ?? "is invalid"}`,
      );
    }
    return result.data as ParsedValue<K>;
  }

  require<K extends ConfigKey>(key: K, why = ""): ParsedValue<K> {
    const value = this.optional(key);
    if (value === undefined) {
      throw new ConfigError(
        "MISSING_SETTING",
        `${key} is not set${why ? ` (${why})` : ""}; set it in the environment, a --config file, ` +
          `./.env, or ${this.consulted.at(-1)}`,
      );
    }
    return value;
  }

  get minWeiPerAttester(): bigint {
    return parseEther(this.optional("MIN_ETH_PER_ATTESTER") ?? DEFAULTS.MIN_ETH_PER_ATTESTER);
  }

  get rpcOptions(): { timeoutMs: number; retries: number; batchSize: number } {
    return {
      timeoutMs: this.optional("RPC_TIMEOUT_MS") ?? DEFAULTS.RPC_TIMEOUT_MS,
      retries: this.optional("RPC_RETRIES") ?? DEFAULTS.RPC_RETRIES,
      batchSize: this.optional("RPC_BATCH_SIZE") ?? DEFAULTS.RPC_BATCH_SIZE,
    };
  }
}

type ParsedValue<K extends ConfigKey> = (typeof configValueSchemas)[K] extends {
  _output: infer O;
}
  ? O
  : never;

/**
 * Precedence, highest first: process environment > `--config <file>` > `./.env` in the CWD >
 * `<config dir>/<network>-base.env` (`~/.config/aztec-butler/` on Linux).
 */
export async function loadConfig(options: ConfigSourceOptions = {}): Promise<ButlerConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const networkText = options.network ?? env.NETWORK ?? DEFAULT_NETWORK;
  const network = networkNameSchema.safeParse(networkText);
  const from =
    options.network !== undefined
      ? "--network"
      : env.NETWORK !== undefined
        ? "NETWORK (from the environment)"
        : DEFAULT_NETWORK_SOURCE;
  if (!network.success) {
    throw new ConfigError("INVALID_SETTING", `${from} ${network.error.issues[0]?.message}`);
  }

  const baseFile = join(butlerPaths().config, `${network.data}-base.env`);
  const layers: { source: string; values: Record<string, string> }[] = [];
  const warnings: string[] = [];
  layers.push({ source: baseFile, values: await readDotenv(baseFile, false, warnings) });
  layers.push({
    source: "./.env",
    values: await readDotenv(join(cwd, ".env"), false, warnings, "./.env"),
  });
  if (options.configFile !== undefined) {
    const file = resolve(cwd, options.configFile);
    layers.push({
      source: options.configFile,
      values: await readDotenv(file, true, warnings, options.configFile),
    });
  }
  layers.push({ source: "the environment", values: env as Record<string, string> });

  const values = new Map<ConfigKey, SourcedValue>();
  for (const layer of layers) {
    for (const key of configKeys) {
      const text = layer.values[key];
      // An empty value (`KEY=`) counts as unset: it does not hide a lower layer's value.
      if (text !== undefined && text.trim() !== "") values.set(key, { text, source: layer.source });
    }
  }
  return new ButlerConfig(
    network.data,
    from,
    values,
    layers.map((l) => l.source).reverse(),
    warnings,
  );
}

async function readDotenv(
  file: string,
  mustExist: boolean,
  warnings: string[],
  shownAs = file,
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readInputFile(file, "a dotenv file");
  } catch (error) {
    const missing = /does not exist$/.test((error as Error).message);
    if (!mustExist && missing) return {};
    const why = (error as Error).message.replace(/^.*?: /, "");
    throw new ConfigError(
      "CONFIG_FILE_UNUSABLE",
      `config file ${shownAs} ${why}`,
      {},
      { cause: error },
    );
  }
  for (const line of malformedDotenvLines(text)) {
    warnings.push(
      `${shownAs}, line ${line}: not a KEY=value line, ignored (the line is not shown: it may hold a secret)`,
    );
  }
  return dotenv.parse(text);
}

/** KEY=value, optionally `export `-ed; the key as dotenv reads it. */
const DOTENV_ASSIGNMENT = /^\s*(?:export\s+)?[\w.-]+\s*=/;
/** A value opening a quote it does not close on its line: dotenv reads on to the closing one. */
const OPENS_MULTILINE = /^\s*(?:export\s+)?[\w.-]+\s*=\s*(["'`])(?:(?!\1).)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/;

/**
 * 1-based numbers of the lines dotenv would skip silently: not blank, not a comment, not
 * KEY=value (a pasted key on its own line, a missing `=`, binary bytes).
 */
export function malformedDotenvLines(text: string): number[] {
  const lines = text.split(/\r?\n/);
  const malformed: number[] = [];
  let closing: string | undefined;
  lines.forEach((line, i) => {
    if (closing !== undefined) {
      if (line.includes(closing)) closing = undefined;
      return;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (!DOTENV_ASSIGNMENT.test(line) || CONTROL_CHARACTERS.test(line)) {
      malformed.push(i + 1);
      return;
    }
    closing = OPENS_MULTILINE.exec(line)?.[1];
  });
  return malformed;
}
