/**
 * An open-file cache in the spirit of nginx's `open_file_cache`: URL path
 * below a root → real path, stat and (for small reads) one open fd, bounded
 * and least-recently-used first out.
 *
 * The safety rule: a resolved real path is trusted for at most `validMs`, and
 * only together with the identity (device, inode, size, times) it had then.
 * The cached fd is checked with `fstat()` against it when it is opened, and
 * every `pread` from it is followed by a `stat()` of the path that must still
 * match (so the path still names the very file the fd reads); every body that
 * opens the real path again checks its `fstat()` too (see `serveFile`). After
 * the window the path is resolved again through the containment check. A file
 * swapped for a symlink that leads outside the root is therefore never served:
 * the path's stat shows another inode, an fd opened after the swap fails its
 * `fstat()` check, and the next resolution lies outside the root: 404.
 *
 * @module
 */

import { closeSync } from "node:fs";
import { openFdSync, preadSpanOnceSync, preadSpanSync } from "./pread_span_sync.ts";
import { HttpError } from "../http/http_error.ts";
import { isNotThere, resolveInside } from "./safe_path.ts";

/** What the cache knows of one path. */
export interface CachedFile {
  /** The real path (inside the root when it was resolved). */
  readonly real: string;
  /** The stat the response is made from. */
  readonly info: Deno.FileInfo;
  /**
   * Reads a span synchronously from the shared fd (opened on first use) with one `pread`.
   * @throws {FileChangedError} When the file changed since `info` (the entry is dropped: look again).
   */
  readSync(start: number, length: number): Uint8Array<ArrayBuffer>;
}

/** Options for {@linkcode OpenFileCache}. */
export interface OpenFileCacheOptions {
  /** Entries kept, each with at most one open fd; 0 turns caching off. @default 1000 */
  maxEntries?: number;
  /** How long a resolved path is trusted, in ms. @default 1000 */
  validMs?: number;
  /** Entries unused this long are closed by a sweep, in ms. @default 10000 */
  inactiveMs?: number;
}

class Entry implements CachedFile {
  /** A node:fs fd, for `pread`. */
  fd: number | undefined;
  evicted = false;
  constructor(
    readonly real: string,
    readonly info: Deno.FileInfo,
    public checkedAt: number,
    public usedAt: number,
    private readonly cache: OpenFileCache,
  ) {}

  readSync(start: number, length: number): Uint8Array<ArrayBuffer> {
    if (this.evicted) {
      // Evicted since the lookup: read through an fd of our own.
      return preadSpanOnceSync(this.real, start, length, this.info);
    }
    try {
      this.fd ??= this.cache.opened(openFdSync(this.real, this.info));
      return preadSpanSync(this.fd, this.real, start, length, this.info);
    } catch (error) {
      this.cache.drop(this);
      throw error;
    }
  }

  close(): void {
    this.evicted = true;
    if (this.fd === undefined) return;
    this.cache.closed();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Caches path resolution, stats and fds for files below one root.
 *
 * @example
 * ```ts
 * using cache = new OpenFileCache("/srv/media");
 * const found = await cache.lookup(["clips", "a.mp4"]);
 * const head = found.readSync(0, 4096);
 * ```
 */
export class OpenFileCache implements Disposable {
  readonly #root: string;
  readonly #max: number;
  readonly #validMs: number;
  readonly #inactiveMs: number;
  /** Insertion order is use order: the first key is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #openFds = 0;
  #sweeper: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param realRoot The root's real path.
   * @param options Size and timing.
   */
  constructor(realRoot: string, options: OpenFileCacheOptions = {}) {
    this.#root = realRoot;
    this.#max = options.maxEntries ?? 1000;
    this.#validMs = options.validMs ?? 1000;
    this.#inactiveMs = options.inactiveMs ?? 10_000;
  }

  /** Open fds the cache holds now (never more than `maxEntries`). */
  get openFds(): number {
    return this.#openFds;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The real path and stat of `segments` below the root, from the cache when
   * they were checked less than `validMs` ago.
   *
   * @param segments Decoded segments (see `decodePathSegments`).
   * @returns The file or folder.
   * @throws {HttpError} 404 when it does not exist or lies outside the root.
   */
  async lookup(segments: string[]): Promise<CachedFile> {
    const key = segments.join("/");
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      if (now - hit.checkedAt < this.#validMs) {
        hit.usedAt = now;
        this.#entries.set(key, hit);
        return hit;
      }
      hit.close();
    }
    const real = await resolveInside(this.#root, segments);
    let info: Deno.FileInfo;
    try {
      // lstat: `real` has no symlink in it, unless the name was swapped for
      // one since realpath ran; stat would then describe the symlink's
      // target, outside the root perhaps, and every later check would match it.
      info = await Deno.lstat(real);
    } catch (error) {
      // Deleted since it was resolved.
      if (isNotThere(error)) throw new HttpError(404, "No such file");
      throw error;
    }
    const entry = new Entry(real, info, now, now, this);
    if (this.#max === 0) {
      entry.evicted = true;
      return entry;
    }
    // A concurrent lookup may have stored this key meanwhile: the newer one wins.
    this.#entries.get(key)?.close();
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    for (const [oldKey, old] of this.#entries) {
      if (this.#entries.size <= this.#max) break;
      this.#entries.delete(oldKey);
      old.close();
    }
    this.#sweep(now);
    return entry;
  }

  /** Forgets `segments` (after a {@linkcode FileChangedError}), closing its fd. */
  forget(segments: string[]): void {
    const key = segments.join("/");
    this.#entries.get(key)?.close();
    this.#entries.delete(key);
  }

  /** @internal Counts an fd an entry opened. */
  opened(fd: number): number {
    this.#openFds++;
    return fd;
  }

  /** @internal Counts an fd an entry closed. */
  closed(): void {
    this.#openFds--;
  }

  /** @internal Drops an entry whose read failed. */
  drop(entry: Entry): void {
    for (const [key, e] of this.#entries) {
      if (e === entry) {
        this.#entries.delete(key);
        break;
      }
    }
    entry.close();
  }

  /** Closes every fd; the cache stays usable (it refills on demand). */
  clear(): void {
    for (const entry of this.#entries.values()) entry.close();
    this.#entries.clear();
    clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
  }

  [Symbol.dispose](): void {
    this.clear();
  }

  /** Closes entries unused for `inactiveMs`, oldest first, and schedules the next sweep. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.usedAt < this.#inactiveMs) break;
      this.#entries.delete(key);
      entry.close();
    }
    if (this.#sweeper !== undefined || this.#entries.size === 0) return;
    const sweeper = setTimeout(() => {
      this.#sweeper = undefined;
      this.#sweep(Date.now());
    }, this.#inactiveMs);
    // An idle cache must not keep the process alive.
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }
}
