/**
 * A Sluice with access control on, for the access tests: a media folder, a
 * small export database, a tokens file and a signing key made by the real
 * `deno task token` code (token.ts), and the tokens themselves.
 *
 * @module
 */

import { addSigningKey, addToken } from "../../token.ts";
import { makeExportDb } from "./export_fixture.ts";
import { makeTempTree, startTestServer, type TestServer } from "./server.ts";

/** The tokens every access test has, by name, with their scopes. */
export const TOKEN_SCOPES = {
  all: ["*"],
  media: ["media"],
  sub: ["media:/sub"],
  exports: ["export"],
  tables: ["export:plain,items"],
  metrics: ["metrics"],
  signer: ["sign", "media:/sub"],
  jobber: ["jobs", "export:plain", "sign"],
  jobber2: ["jobs", "export", "sign"],
} as const;

/** A server with access on, its files, and its tokens. */
export interface AccessFixture extends AsyncDisposable {
  server: TestServer;
  /** name → token. */
  tokens: Record<keyof typeof TOKEN_SCOPES, string>;
  tokensFile: string;
  keyFile: string;
  /** The media folder: `a.txt`, `sub/b.txt`, `sub/big.bin`. */
  media: string;
  /** `Authorization: Bearer` for a named token. */
  auth(name: keyof typeof TOKEN_SCOPES): HeadersInit;
}

/** `sub/big.bin`: bytes 0..255 repeated, for ranges. */
export const BIG = Uint8Array.from({ length: 100_000 }, (_, i) => i % 256);

/**
 * Starts the server.
 *
 * @param args More flags (such as `--log-format json`).
 * @param options `signingKey: false` leaves the key out; `media` serves that folder instead.
 */
export async function startAccessServer(
  args: string[] = [],
  options: { signingKey?: boolean; media?: string } = {},
): Promise<AccessFixture> {
  const own = options.media === undefined;
  const media = options.media ?? await makeTempTree({
    "a.txt": "top\n",
    "sub/b.txt": "inner\n",
    "sub/big.bin": BIG,
  });
  const db = await makeExportDb(5);
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  const tokensFile = `${dir}/tokens`;
  const keyFile = `${dir}/signing-key`;
  const tokens = {} as Record<keyof typeof TOKEN_SCOPES, string>;
  for (const [name, scopes] of Object.entries(TOKEN_SCOPES)) {
    tokens[name as keyof typeof TOKEN_SCOPES] = await addToken(name, [...scopes], tokensFile);
  }
  await addSigningKey(keyFile);
  let server: TestServer;
  try {
    server = await startTestServer([
      "--media-dir",
      media,
      "--db",
      db.path,
      "--tokens-file",
      tokensFile,
      "--data-dir",
      `${dir}/data`,
      ...(options.signingKey === false ? [] : ["--signing-key-file", keyFile]),
      ...args,
    ]);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  async function cleanUp() {
    await db[Symbol.asyncDispose]();
    if (own) await Deno.remove(media, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
  return {
    server,
    tokens,
    tokensFile,
    keyFile,
    media,
    auth: (name) => ({ authorization: `Bearer ${tokens[name]}` }),
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await cleanUp();
    },
  };
}
