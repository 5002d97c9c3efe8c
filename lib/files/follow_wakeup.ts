/**
 * Wakes file followers when a file they follow may have changed: one
 * `Deno.watchFs` (inotify on Linux) per folder, shared by every follower of a
 * file in it, or plain polling when watching is off or unavailable.
 *
 * Sharing matters: each watcher is an inotify instance, and Linux allows 128
 * per user by default (`fs.inotify.max_user_instances`), so a watcher per
 * follower would cap followers at about that. Watches see appends within a
 * millisecond and cost nothing while the file is quiet; a follower still
 * re-checks on a slow backstop timer, for file systems whose changes inotify
 * never reports (NFS, FUSE, writes through another host).
 *
 * @module
 */

import { dirname } from "node:path";

/** Options for {@linkcode FileWakeups}. */
export interface FileWakeupsOptions {
  /** `watch`: `Deno.watchFs`, polling only as a backstop; `poll`: timers only. @default "watch" */
  mode?: "watch" | "poll";
  /** How often a follower re-checks without a watch. @default 100 */
  pollMs?: number;
  /** How often a watched follower re-checks anyway. @default 1000 */
  backstopMs?: number;
}

/** One follower's wake-ups; dispose it when the follower ends. */
export interface Wakeup extends Disposable {
  /**
   * Resolves after at most `ms` (less when polling), or as soon as a watched
   * path changed since the last wait, or when `signal` aborts.
   */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

interface Folder {
  watcher: Deno.FsWatcher;
  subscribers: Set<Subscriber>;
}

interface Subscriber {
  paths: Set<string>;
  /** Something changed since the last wait (or watching failed: poll from now on). */
  changed(broken: boolean): void;
}

/** Watches the folders of followed files, one watcher per folder. */
export class FileWakeups {
  readonly #mode: "watch" | "poll";
  readonly #pollMs: number;
  readonly #backstopMs: number;
  readonly #folders = new Map<string, Folder>();

  /** @param options Watch or poll, and the intervals. */
  constructor(options: FileWakeupsOptions = {}) {
    this.#mode = options.mode ?? "watch";
    this.#pollMs = options.pollMs ?? 100;
    this.#backstopMs = options.backstopMs ?? 1000;
  }

  /** Folders watched now. */
  get watched(): number {
    return this.#folders.size;
  }

  /**
   * Starts waking a follower on changes to `paths` (files; their folders are watched).
   *
   * @param paths The followed file's paths (its name, and its real path when a symlink leads to it).
   * @returns The follower's wake-ups.
   * @example
   * ```ts
   * using wakeup = new FileWakeups().wakeup(["/srv/media/app.log"]);
   * await wakeup.wait(1000, AbortSignal.timeout(2000));
   * ```
   */
  wakeup(paths: string[]): Wakeup {
    let pending = false;
    let polling = this.#mode === "poll";
    let wake: (() => void) | undefined;
    const subscriber: Subscriber = {
      paths: new Set(paths),
      changed(broken) {
        pending = true;
        if (broken) polling = true;
        wake?.();
      },
    };
    const folders = [...new Set(paths.map((p) => dirname(p)))];
    if (!polling) {
      for (const dir of folders) {
        if (!this.#subscribe(dir, subscriber)) polling = true;
      }
    }
    return {
      wait: (ms, signal) => {
        if (pending || signal.aborted) {
          pending = false;
          return Promise.resolve();
        }
        const limit = Math.max(0, Math.min(ms, polling ? this.#pollMs : this.#backstopMs));
        return new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            wake = undefined;
            pending = false;
            resolve();
          };
          const timer = setTimeout(done, limit);
          signal.addEventListener("abort", done, { once: true });
          wake = done;
        });
      },
      [Symbol.dispose]: () => {
        wake?.();
        for (const dir of folders) this.#unsubscribe(dir, subscriber);
      },
    };
  }

  /** Adds a subscriber to a folder's watcher, starting one; false when watching failed. */
  #subscribe(dir: string, subscriber: Subscriber): boolean {
    let folder = this.#folders.get(dir);
    if (folder === undefined) {
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(dir, { recursive: false });
      } catch {
        // Out of inotify instances or watches, or a file system without them.
        return false;
      }
      folder = { watcher, subscribers: new Set() };
      this.#folders.set(dir, folder);
      this.#pump(dir, folder);
    }
    folder.subscribers.add(subscriber);
    return true;
  }

  #unsubscribe(dir: string, subscriber: Subscriber): void {
    const folder = this.#folders.get(dir);
    if (folder === undefined || !folder.subscribers.delete(subscriber)) return;
    if (folder.subscribers.size > 0) return;
    this.#folders.delete(dir);
    folder.watcher.close();
  }

  /** Hands each event to the subscribers of the paths it names. */
  async #pump(dir: string, folder: Folder): Promise<void> {
    let broken = false;
    try {
      for await (const event of folder.watcher) {
        for (const subscriber of folder.subscribers) {
          if (event.paths.some((p) => subscriber.paths.has(p))) subscriber.changed(false);
        }
      }
    } catch {
      // The watch failed (its folder went away, the queue overflowed): poll instead.
      broken = true;
    }
    if (this.#folders.get(dir) === folder) {
      this.#folders.delete(dir);
      broken = true;
      try {
        folder.watcher.close();
      } catch {
        // Closed already.
      }
    }
    if (broken) { for (const subscriber of folder.subscribers) subscriber.changed(true); }
  }
}
