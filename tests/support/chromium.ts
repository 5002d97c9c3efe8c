/**
 * Debian's chromium, headless and offline, driven by puppeteer-core over a
 * pipe (no download of a browser of its own), for the tests of the page; and
 * the small page helpers those tests share.
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";

const CHROMIUM = "/usr/bin/chromium";
/** Offline and quiet: no updates, sync, QUIC or first-run work that would reach out. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/**
 * Why chromium cannot run here (printed for the test file, which then skips), or undefined.
 *
 * @param test The test file's name, for the message.
 */
export async function chromiumMissing(test: string): Promise<string | undefined> {
  const missing = await Deno.stat(CHROMIUM).then(
    () => undefined,
    () => `${CHROMIUM} is not installed (apt-get install chromium)`,
  );
  if (missing !== undefined) console.warn(`${test}: skipped, ${missing}`);
  return missing;
}

/** Launches chromium with a fresh profile; closing it removes the profile. */
export async function launch(): Promise<Browser & AsyncDisposable> {
  const profile = await Deno.makeTempDir({ prefix: "sluice-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    pipe: true,
    userDataDir: profile,
    args: FLAGS,
    timeout: 30_000,
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      try {
        await browser.close();
      } catch {
        browser.process()?.kill("SIGKILL");
      }
      await Deno.remove(profile, { recursive: true });
    },
  });
}

/** An element's text, trimmed. */
export const text = (page: Page, selector: string): Promise<string> =>
  page.$eval(selector, (el) => el.textContent?.trim() ?? "");
/** An element's exact figure (`data-value`). */
export const value = (page: Page, selector: string): Promise<number> =>
  page.$eval(selector, (el) => Number(el.getAttribute("data-value")));
/** Waits for a section's `data-state`. */
export const waitForState = (page: Page, section: string, state: string) =>
  page.waitForSelector(`#${section}[data-state="${state}"]`);
/** Runs a script in the page: a string, as the test is type-checked without the DOM's types. */
export const inPage = <T>(page: Page, script: string): Promise<T> =>
  page.evaluate(script) as Promise<T>;
