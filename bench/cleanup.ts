/**
 * The bench's list of things to undo (servers to stop, folders to remove),
 * run once at the end or on SIGINT/SIGTERM.
 *
 * @module
 */

/** Runs cleanups last-in first-out, once, whatever each one does. */
export class Cleanup {
  #tasks: (() => void | Promise<void>)[] = [];
  #running: Promise<void> | undefined;
  #log: (line: string) => void;

  /** @param log Where a failed cleanup is reported. */
  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Adds a task to run at the end. */
  add(task: () => void | Promise<void>): void {
    this.#tasks.push(task);
  }

  /** Runs every task, newest first; later calls get the same promise. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      for (let task = this.#tasks.pop(); task !== undefined; task = this.#tasks.pop()) {
        try {
          await task();
        } catch (error) {
          this.#log(`cleanup failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.#running;
  }
}
