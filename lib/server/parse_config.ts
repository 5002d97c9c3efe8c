/**
 * Reads the options of lib/server/config.ts from the command line and the
 * environment, and makes the `--help` text from the same rows.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Config, ConfigError, OPTIONS, type OptionSpec } from "./config.ts";
import { isLoopback } from "./option_parsers.ts";

/** Usage text for `--help`. */
export function usage(): string {
  const rows = OPTIONS.map((o) =>
    `  --${(o.flag + ("switch" in o ? "" : " VALUE")).padEnd(22)} ${o.help}\n  ${
      "".padEnd(24)
    } env ${o.env}, default "${o.default}"`
  );
  return [
    "Sluice: streams large files and data without holding them in memory.",
    "",
    "Usage: deno task start [options]",
    "",
    ...rows,
    "  --help                   print this text and exit",
  ].join("\n");
}

/**
 * Reads flags, then environment variables, then defaults, validating each.
 *
 * @param args The command-line arguments (flags win over the environment).
 * @param env Reads one environment variable.
 * @returns The validated config, or `"help"` when `--help` was given.
 * @throws {ConfigError} With one line naming the option and the problem.
 */
export function parseConfig(
  args: string[],
  env: (name: string) => string | undefined,
): Config | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(
          OPTIONS.map((
            o,
          ) => [o.flag, { type: "switch" in o ? "boolean" as const : "string" as const }]),
        ),
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message.split("\n")[0]);
  }
  if (values.help) return "help";
  // Every key is set below: OPTIONS has a row for each (checked where it is declared).
  const config = {} as Config;
  for (const o of OPTIONS) {
    const value = values[o.flag];
    // A switch given bare is "on"; its parser reads the text as any other.
    const flagged = value === true ? "on" : typeof value === "string" ? value : undefined;
    setOption(config, o, flagged, env);
  }
  if ((config.cert === "") !== (config.key === "")) {
    throw new ConfigError("--cert and --key: give both, or neither");
  }
  return checkExposure(config);
}

/** Sets one key from its flag, else its variable, else its default: `K` ties the parser to it. */
function setOption<K extends keyof Config>(
  config: Config,
  o: OptionSpec<K>,
  flagged: string | undefined,
  env: (name: string) => string | undefined,
): void {
  const fromEnv = flagged === undefined ? env(o.env) : undefined;
  try {
    config[o.key] = o.parse(flagged ?? fromEnv ?? o.default, o.flag);
  } catch (error) {
    // Name the variable the user actually set.
    if (!(error instanceof ConfigError) || fromEnv === undefined) throw error;
    throw new ConfigError(error.message.replace(`--${o.flag}:`, `${o.env} (--${o.flag}):`));
  }
}

/**
 * Refuses to serve everything to everyone by accident: a non-loopback address
 * needs tokens, a signing key, or `--public` saying it is meant to be open.
 */
function checkExposure(config: Config): Config {
  if (
    isLoopback(config.hostname) || config.public || config.tokensFile !== "" ||
    config.signingKeyFile !== ""
  ) return config;
  throw new ConfigError(
    `--hostname ${config.hostname} is reachable from other machines and nothing is protected: ` +
      "add --tokens-file FILE (made by deno task token NAME SCOPES), or --public to serve it open",
  );
}
