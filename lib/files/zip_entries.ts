/**
 * Finds what a folder's ZIP holds: every file and folder below it that the
 * media route would serve, with the `stat()` the layout is made from.
 *
 * @module
 */

import { join } from "node:path";
import { isServable } from "./safe_path.ts";
import type { ZipSource } from "./zip_layout.ts";

/** Options for {@linkcode readZipEntries}. */
export interface ReadZipEntriesOptions {
  /** The folder's own name in the archive; every entry is below it. */
  prefix: string;
  /** More entries than this are only counted. @default 100000 */
  maxEntries?: number;
}

/** The entries, or how many there are when they are too many. */
export type ZipEntries =
  | { kind: "entries"; entries: ZipSource[] }
  | { kind: "too-many"; count: number };

const ms = (d: Date | null) => d?.getTime() ?? 0;

function sourceOf(name: string, path: string, info: Deno.FileInfo): ZipSource {
  return {
    name,
    path,
    isDirectory: info.isDirectory,
    size: info.isFile ? info.size : 0,
    mtimeMs: ms(info.mtime),
    dev: info.dev,
    ino: info.ino ?? 0,
    ctimeMs: ms(info.ctime),
  };
}

/**
 * Walks `realDir` with the media route's containment rules: no dotfiles, no
 * symlink that leads outside `realRoot` or to a dotfile, no FIFOs, sockets or
 * devices. A symlink to a file inside the root is archived as that file; a
 * symlink to a folder is left out (it could loop, or repeat a folder).
 * Entries that vanish or cannot be read while walking are left out.
 *
 * @param realDir The folder's real path.
 * @param realRoot The served root's real path.
 * @param options The name in the archive and the entry limit.
 * @returns The entries (the folder itself first), or their count when past the limit.
 * @example
 * ```ts
 * const found = await readZipEntries("/srv/media/docs", "/srv/media", { prefix: "docs" });
 * ```
 */
export async function readZipEntries(
  realDir: string,
  realRoot: string,
  options: ReadZipEntriesOptions,
): Promise<ZipEntries> {
  const { prefix, maxEntries = 100_000 } = options;
  const entries: ZipSource[] = [sourceOf(`${prefix}/`, realDir, await Deno.stat(realDir))];
  let count = 1;
  // Depth-first with an explicit stack: the depth of a tree does not grow the call stack.
  const folders: Array<{ path: string; name: string }> = [{ path: realDir, name: `${prefix}/` }];
  while (folders.length > 0) {
    const folder = folders.pop()!;
    let listing: AsyncIterable<Deno.DirEntry>;
    try {
      listing = Deno.readDir(folder.path);
    } catch {
      continue;
    }
    try {
      for await (const entry of listing) {
        if (entry.name.startsWith(".")) continue;
        const path = join(folder.path, entry.name);
        const name = folder.name + entry.name;
        if (count >= maxEntries) {
          // Past the limit only the count matters: no stat, no realpath.
          count++;
          if (entry.isDirectory) folders.push({ path, name: `${name}/` });
          continue;
        }
        try {
          const real = entry.isSymlink ? await Deno.realPath(path) : path;
          if (entry.isSymlink && !isServable(realRoot, real)) continue;
          const info = await Deno.stat(real);
          if (info.isDirectory && entry.isSymlink) continue;
          if (!info.isFile && !info.isDirectory) continue;
          count++;
          if (info.isDirectory) {
            entries.push(sourceOf(`${name}/`, real, info));
            folders.push({ path: real, name: `${name}/` });
          } else {
            entries.push(sourceOf(name, real, info));
          }
        } catch {
          // A dangling link, or an entry that vanished or cannot be read: not archived.
        }
      }
    } catch {
      // The folder vanished or cannot be read while walking it: what was found stays.
    }
  }
  return count > maxEntries ? { kind: "too-many", count } : { kind: "entries", entries };
}
