/**
 * Reads a follow response as it arrives: the text so far, and a bounded wait
 * until it holds something.
 *
 * @module
 */

/** A follow body being read in the background. */
export interface FollowReader extends AsyncDisposable {
  /** Everything received so far, decoded. */
  readonly text: string;
  /** How the body ended: still open, cleanly, or with an error. */
  readonly ended: "open" | "clean" | "error";
  /**
   * Waits until `check(text)` holds, for at most `ms` (a bound that only
   * says when to call it stuck).
   *
   * @throws {Error} With the text so far, when it did not hold in time.
   */
  until(check: (text: string) => boolean, ms?: number): Promise<string>;
  /** Waits until the body ended, for at most `ms`. */
  end(ms?: number): Promise<"clean" | "error">;
  /** Cancels the body (the client leaves). */
  cancel(): Promise<void>;
}

/**
 * Starts reading `res.body` in the background.
 *
 * @param res A follow response.
 * @returns The reader; disposing it cancels the body.
 */
export function readFollow(res: Response): FollowReader {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let ended: "open" | "clean" | "error" = "open";
  let notify = () => {};
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        notify();
      }
      ended = "clean";
    } catch {
      ended = "error";
    }
    notify();
  })();
  const waitChange = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        notify = () => {};
        resolve();
      }
      notify = done;
    });
  const self: FollowReader = {
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    async until(check, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!check(text)) {
        const left = deadline - Date.now();
        if (left <= 0 || ended !== "open") {
          throw new Error(`The follow did not get there (${ended}); it holds:\n${text}`);
        }
        await waitChange(left);
      }
      return text;
    },
    async end(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (ended === "open") {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`The follow did not end; it holds:\n${text}`);
        await waitChange(left);
      }
      return ended;
    },
    async cancel() {
      if (ended === "open") await reader.cancel().catch(() => {});
      await pump;
    },
    [Symbol.asyncDispose]: () => self.cancel(),
  };
  return self;
}
