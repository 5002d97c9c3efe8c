/**
 * `deno task token NAME SCOPE… [--tokens-file F]`: makes a token, prints it
 * once, and appends its name, SHA-256 and scopes to the tokens file (created
 * 0600). `deno task token --signing-key [--signing-key-file F]`: makes the
 * key signed links are made with (created 0600).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { parseScopes } from "./lib/access/scopes.ts";
import { newSigningKey } from "./lib/access/signed_link.ts";
import { hashToken, parseTokenFile, TOKEN_NAME } from "./lib/access/token_file.ts";

const USAGE = `Usage:
  deno task token NAME SCOPE... [--tokens-file ./data/tokens]
  deno task token --signing-key [--signing-key-file ./data/signing-key]

Scopes: media, media:/folder[,/folder], export, export:table[,table], jobs, metrics, sign, *`;

/** Thrown for a mistake the user can fix; main prints its message alone. */
class UsageError extends Error {}

/**
 * Makes a token and records it.
 *
 * @param name Who it is for.
 * @param scopes What it may do.
 * @param file The tokens file.
 * @returns The token, to print once.
 */
export async function addToken(name: string, scopes: string[], file: string): Promise<string> {
  if (!TOKEN_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a token name (letters, digits, _ . @ -; up to 64)`);
  }
  try {
    parseScopes(scopes.flatMap((s) => s.split(/\s+/)).filter(Boolean));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const existing = await Deno.readTextFile(file).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  if (parseTokenFile(existing).entries.some((e) => e.name === name)) {
    throw new UsageError(`"${name}" has a token in ${file} already; delete its line to revoke it`);
  }
  // 256 random bits; the prefix lets secret scanners recognise a leaked one.
  const token = `sluice_${
    crypto.getRandomValues(new Uint8Array(32)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    })
  }`;
  const line = `${name} ${await hashToken(token)} ${scopes.join(" ")}\n`;
  await Deno.mkdir(dirname(file), { recursive: true });
  const prefix = existing === "" || existing.endsWith("\n") ? "" : "\n";
  await appendPrivate(file, prefix + line);
  return token;
}

/**
 * Writes a new signing key, refusing to replace one (that would break every link made with it).
 *
 * @param file Where.
 */
export async function addSigningKey(file: string): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true });
  try {
    using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
    await f.write(new TextEncoder().encode(newSigningKey() + "\n"));
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    throw new UsageError(
      `${file} exists already; delete it first to rotate the key (every signed link then stops working)`,
    );
  }
}

/** Appends to a file only its owner may read, tightening its mode if it was looser. */
async function appendPrivate(file: string, text: string): Promise<void> {
  using f = await Deno.open(file, { append: true, create: true, mode: 0o600 });
  const mode = (await f.stat()).mode;
  if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(file, 0o600);
  await f.write(new TextEncoder().encode(text));
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "tokens-file": { type: "string", default: "./data/tokens" },
      "signing-key": { type: "boolean" },
      "signing-key-file": { type: "string", default: "./data/signing-key" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values["signing-key"]) {
    await addSigningKey(values["signing-key-file"]);
    console.error(`Wrote a signing key to ${values["signing-key-file"]} (mode 0600).`);
    console.error(`Start Sluice with --signing-key-file ${values["signing-key-file"]}.`);
    return;
  }
  const [name, ...scopes] = positionals;
  if (name === undefined || scopes.length === 0) throw new UsageError(USAGE);
  const file = values["tokens-file"];
  const token = await addToken(name, scopes, file);
  // Only the token on stdout, so `TOKEN=$(deno task token …)` works.
  console.log(token);
  console.error(`Added "${name}" to ${file}; this is the only time the token is shown.`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    console.error(`token: ${error.message}`);
    Deno.exit(2);
  }
}
