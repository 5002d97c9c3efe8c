/**
 * Lists a folder for people (HTML) and programs (JSON).
 *
 * @module
 */

import { join } from "node:path";
import { escapeHtml } from "../http/escape_html.ts";
import { isServable, isServableName } from "./safe_path.ts";

/** One listed entry. */
export interface DirEntry {
  name: string;
  type: "file" | "directory";
  /** Bytes, for files; 0 for folders. */
  size: number;
  /** ISO 8601 modification time, or null when the OS does not say. */
  mtime: string | null;
}

/**
 * Reads the visible entries of a folder: only names the media route serves
 * (no dotfiles, no backslashes; see `isServableName`), and no symlinks that
 * lead outside `realRoot`, to a dotfile, or to something that is neither file
 * nor folder. What is listed is what the media route would serve.
 * Folders first, then by name.
 *
 * @param realDir The folder's real path.
 * @param realRoot The served root's real path.
 * @returns The entries.
 */
export async function readListing(realDir: string, realRoot: string): Promise<DirEntry[]> {
  const entries: DirEntry[] = [];
  for await (const entry of Deno.readDir(realDir)) {
    // A name the route would refuse (a dotfile, a backslash) would be a dead link.
    if (!isServableName(entry.name)) continue;
    const path = join(realDir, entry.name);
    try {
      if (entry.isSymlink && !isServable(realRoot, await Deno.realPath(path))) continue;
      const info = await Deno.stat(path);
      if (!info.isFile && !info.isDirectory) continue;
      entries.push({
        name: entry.name,
        type: info.isDirectory ? "directory" : "file",
        size: info.isFile ? info.size : 0,
        mtime: info.mtime?.toISOString() ?? null,
      });
    } catch {
      // A dangling link or an entry that vanished: not listed.
    }
  }
  return entries.sort((a, b) =>
    a.type === b.type ? a.name.localeCompare(b.name) : a.type === "directory" ? -1 : 1
  );
}

/** Options for {@linkcode renderListingHtml}. */
export interface ListingHtmlOptions {
  /** Link `../`. @default false */
  hasParent?: boolean;
  /** The size of the folder's `?zip` archive; no ZIP link when undefined. @default undefined */
  zipSize?: number;
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/**
 * Renders a listing as a small HTML page. Names are escaped and links are
 * percent-encoded, so a file called `<script>` is just text.
 *
 * @param title The folder's URL path, shown as the heading.
 * @param entries From {@linkcode readListing}.
 * @param options Whether to link `../`, and the folder's ZIP size to offer it.
 * @returns The page.
 */
export function renderListingHtml(
  title: string,
  entries: DirEntry[],
  options: ListingHtmlOptions = {},
): string {
  const { hasParent = false, zipSize } = options;
  const rows = entries.map((e) => {
    const href = encodeURIComponent(e.name) + (e.type === "directory" ? "/" : "");
    const name = escapeHtml(e.name) + (e.type === "directory" ? "/" : "");
    const size = e.type === "directory" ? "—" : formatBytes(e.size);
    return `<tr><td><a href="${href}">${name}</a></td><td>${size}</td><td>${
      e.mtime ?? ""
    }</td></tr>`;
  });
  if (hasParent) rows.unshift(`<tr><td><a href="../">../</a></td><td></td><td></td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Index of ${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;color:#1b1b1b}table{border-collapse:collapse}
td{padding:.25rem 1rem .25rem 0}a{color:#0645ad}</style></head>
<body><h1>Index of ${escapeHtml(title)}</h1>
<table><thead><tr><th align="left">Name</th><th align="left">Size</th><th align="left">Modified</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>${
    zipSize === undefined
      ? ""
      : `\n<p><a href="?zip" download>Download folder (ZIP)</a> ${formatBytes(zipSize)}</p>`
  }</body></html>
`;
}
