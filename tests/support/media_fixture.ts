/**
 * The media folder the route tests serve, modelled on pillarjs/send's
 * fixtures: an empty file, names with spaces, unicode and HTML, dotfiles,
 * and symlinks that try to leave the folder. It sits in a temp folder next to
 * `outside.txt` and a sibling `media-evil/`, so escapes have targets.
 *
 * @module
 */

import { makeTempTree } from "./server.ts";

/** Every file's mtime, so Last-Modified and ETags are known in advance. */
export const FIXTURE_MTIME = new Date("2024-01-02T03:04:05.000Z");

/** `clip.mp4`: 1000 bytes, byte i = i % 251, so every span is recognisable. */
export const CLIP = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

/** The ETag Sluice gives a fixture file of `size` bytes. */
export function fixtureEtag(size: number): string {
  return `"${size.toString(16)}-${FIXTURE_MTIME.getTime().toString(16)}"`;
}

/** Last-Modified of every fixture file. */
export const FIXTURE_LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT";

/** A temp tree holding a media folder; remove it with `await using`. */
export interface MediaFixture extends AsyncDisposable {
  /** The temp folder (parent of `media/`). */
  root: string;
  /** The folder to pass as `--media-dir`. */
  media: string;
}

/**
 * Builds the fixture tree.
 *
 * @returns Its paths; `await using` removes it.
 */
export async function makeMediaFixture(): Promise<MediaFixture> {
  const root = await makeTempTree({
    "media/clip.mp4": CLIP,
    "media/notes.txt": "hello, sluice\n",
    "media/empty.txt": "",
    "media/with space.txt": "spaces\n",
    "media/ümlaut ñame.txt": "unicode\n",
    "media/blob.xyz123": "???",
    "media/<b>&'\".txt": "html\n",
    "media/docs/guide.txt": "guide\n",
    "media/.env": "SECRET=dotfile\n",
    "media/.git/config": "[core] SECRET\n",
    "media-evil/secret.txt": "EVIL sibling\n",
    "outside.txt": "OUTSIDE the media folder\n",
  });
  const media = `${root}/media`;
  await Deno.symlink(`${root}/outside.txt`, `${media}/escape-link.txt`);
  await Deno.symlink("../media-evil/secret.txt", `${media}/evil-link.txt`);
  await Deno.symlink(`${root}/media-evil`, `${media}/evil-dir`);
  await Deno.symlink(".env", `${media}/dot-link.txt`);
  await Deno.symlink(".git", `${media}/dotdir-link`);
  await Deno.symlink("notes.txt", `${media}/inner-link.txt`);
  await Deno.symlink("nowhere.txt", `${media}/dangling.txt`);
  for await (const entry of walk(media)) await Deno.utime(entry, FIXTURE_MTIME, FIXTURE_MTIME);
  return {
    root,
    media,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** Real files and folders below `dir` (not symlinks), for setting mtimes. */
async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isSymlink) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    yield path;
  }
}
