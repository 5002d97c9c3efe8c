/**
 * The one error a bad flag or variable raises.
 *
 * @module
 */

/** Thrown for a bad flag or variable; its message is the one line printed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
