import assert from "node:assert/strict";
import { type Config, ConfigError, OPTIONS } from "../../../lib/server/config.ts";
import { parseConfig, usage } from "../../../lib/server/parse_config.ts";
import { makeTempTree } from "../../support/server.ts";

const noEnv = () => undefined;

function parse(args: string[], env: Record<string, string> = {}): Config {
  const config = parseConfig(args, (name) => env[name]);
  assert.notEqual(config, "help");
  return config as Config;
}

function assertConfigError(args: string[], env: Record<string, string>, message: string | RegExp) {
  assert.throws(() => parseConfig(args, (name) => env[name]), (error) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.name, "ConfigError");
    assert.ok(!error.message.includes("\n"), "one line");
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  }, JSON.stringify(args));
}

Deno.test("parseConfig() fills in the documented defaults", async () => {
  const dir = await makeTempTree({});
  try {
    const config = parse(["--media-dir", dir]);
    assert.equal(config.port, 8000);
    assert.equal(config.hostname, "127.0.0.1");
    assert.equal(config.mediaDir, dir);
    assert.equal(config.cacheControl, "max-age=3600");
    assert.equal(config.drainTimeout, 10);
    assert.equal(config.logFormat, "text");
    assert.equal(config.exportMaxFilters, 16);
    const mediaRow = OPTIONS.find((o) => o.key === "mediaDir")!;
    assert.equal(mediaRow.default, "./media");
    assert.equal(mediaRow.env, "MEDIA_DIR");
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("parseConfig() reads flags, in both --flag value and --flag=value forms", async () => {
  const dir = await makeTempTree({});
  try {
    const config = parse([
      "--port",
      "0",
      "--hostname=0.0.0.0",
      "--public",
      `--media-dir=${dir}`,
      "--cache-control",
      "private, no-cache",
      "--drain-timeout",
      "2.5",
      "--log-format",
      "json",
    ]);
    assert.equal(config.port, 0);
    assert.equal(config.hostname, "0.0.0.0");
    assert.equal(config.mediaDir, dir);
    assert.equal(config.cacheControl, "private, no-cache");
    assert.equal(config.drainTimeout, 2.5);
    assert.equal(config.logFormat, "json");
    assert.equal(parse(["--port", "65535", "--media-dir", dir]).port, 65535);
    assert.equal(parse(["--drain-timeout", "0", "--media-dir", dir]).drainTimeout, 0);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("parseConfig() reads environment variables, and flags win over them", async () => {
  const dir = await makeTempTree({});
  const other = await makeTempTree({});
  try {
    const env = {
      PORT: "9000",
      HOSTNAME: "::1",
      MEDIA_DIR: dir,
      CACHE_CONTROL: "no-store",
      DRAIN_TIMEOUT: "3",
      LOG_FORMAT: "json",
    };
    const fromEnv = parse([], env);
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.hostname, "::1");
    assert.equal(fromEnv.mediaDir, dir);
    assert.equal(fromEnv.cacheControl, "no-store");
    assert.equal(fromEnv.drainTimeout, 3);
    assert.equal(fromEnv.logFormat, "json");
    const flagged = parse(["--port", "1", "--media-dir", other, "--log-format", "text"], env);
    assert.equal(flagged.port, 1);
    assert.equal(flagged.mediaDir, other);
    assert.equal(flagged.logFormat, "text");
    assert.equal(flagged.cacheControl, "no-store");
  } finally {
    await Deno.remove(dir);
    await Deno.remove(other);
  }
});

Deno.test('parseConfig() returns "help" for --help, whatever else is given', () => {
  assert.equal(parseConfig(["--help"], noEnv), "help");
  assert.equal(parseConfig(["--port", "abc", "--help"], noEnv), "help");
});

Deno.test("parseConfig() rejects bad values with one line naming the option", async () => {
  const dir = await makeTempTree({ "file.txt": "x" });
  try {
    const cases: [string[], Record<string, string>, string | RegExp][] = [
      [["--port", "abc"], {}, '--port: "abc" is not a port number (0-65535)'],
      [["--port", "65536"], {}, '--port: "65536" is not a port number (0-65535)'],
      [["--port=-1"], {}, '--port: "-1" is not a port number (0-65535)'],
      [["--port", ""], {}, '--port: "" is not a port number (0-65535)'],
      [["--port", "1e3"], {}, '--port: "1e3" is not a port number (0-65535)'],
      [["--port", " 80"], {}, '--port: " 80" is not a port number (0-65535)'],
      [[], { PORT: "abc" }, 'PORT (--port): "abc" is not a port number (0-65535)'],
      [["--hostname", " "], {}, "--hostname: must not be empty"],
      [["--media-dir", "/does/not/exist"], {}, '--media-dir: "/does/not/exist" does not exist'],
      [["--media-dir", `${dir}/file.txt`], {}, `--media-dir: "${dir}/file.txt" is not a directory`],
      [
        [],
        { MEDIA_DIR: "/does/not/exist" },
        'MEDIA_DIR (--media-dir): "/does/not/exist" does not exist',
      ],
      [["--cache-control", ""], {}, "--cache-control: must not be empty"],
      [["--drain-timeout=-1"], {}, '--drain-timeout: "-1" is not a number of seconds'],
      [["--drain-timeout", "soon"], {}, '--drain-timeout: "soon" is not a number of seconds'],
      [["--drain-timeout", ""], {}, '--drain-timeout: "" is not a number of seconds'],
      [
        ["--drain-timeout", "Infinity"],
        {},
        '--drain-timeout: "Infinity" is not a number of seconds',
      ],
      [["--log-format", "xml"], {}, '--log-format: "xml" is not one of text, json'],
      [["--export-max-filters", "0"], {}, '--export-max-filters: "0" is not a positive integer'],
      [["--export-max-filters", "101"], {}, '--export-max-filters: "101" is more than 100'],
      [["--bogus"], {}, /^Unknown option '--bogus'/],
      [["--port"], {}, /^Option '--port <value>' argument missing/],
      [["stray"], {}, /^Unexpected argument 'stray'/],
      [["--help=yes"], {}, /help/],
    ];
    for (const [args, env, message] of cases) {
      // A valid media folder unless the case is about the media folder.
      const aboutMedia = args.some((a) => a.startsWith("--media-dir")) || "MEDIA_DIR" in env;
      assertConfigError(aboutMedia ? args : ["--media-dir", dir, ...args], env, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("usage() lists every option with its variable and default", () => {
  const text = usage();
  for (const option of OPTIONS) {
    const value = "switch" in option ? "" : " VALUE";
    assert.ok(text.includes(`--${option.flag}${value} `), option.flag);
    assert.ok(text.includes(`env ${option.env}, default "${option.default}"`), option.env);
  }
  assert.match(text, /--help\s+print this text and exit/);
});

Deno.test("OPTIONS has one row for every Config key, and parseConfig() sets each", async () => {
  // A key without a row fails the type check of lib/server/config.ts; this is the runtime half.
  const keys = OPTIONS.map((o) => o.key);
  assert.equal(new Set(keys).size, keys.length, "a key has two rows");
  const dir = await makeTempTree({});
  try {
    const config = parse(["--media-dir", dir]);
    assert.deepEqual(Object.keys(config).sort(), [...keys].sort());
    for (const key of keys) assert.notEqual(config[key], undefined, key);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
