/**
 * The page's Follow button in chromium: a text file's new lines appear live
 * over SSE, the view scrolls with them, Pause closes the connection and
 * Resume continues from the last line shown with nothing lost or repeated,
 * and a deleted file ends the follow. Skipped with the reason where chromium
 * is not installed.
 */

import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { chromiumMissing, inPage, launch } from "./support/chromium.ts";
import { makeTempTree, startTestServer } from "./support/server.ts";

const missing = await chromiumMissing("page_follow_browser_test");

const artifacts = new URL(".artifacts", import.meta.url).pathname;
const preText = (page: Page) => page.$eval("#preview pre", (el) => el.textContent ?? "");

Deno.test({
  name:
    "the page in chromium: Follow shows new lines live, pauses, resumes without gaps, ends when the file goes",
  ignore: missing !== undefined,
  async fn() {
    const dir = await makeTempTree({ "app.log": "first\nsecond\nthird\n" });
    const log = `${dir}/app.log`;
    try {
      await using server = await startTestServer(["--media-dir", dir]);
      await using browser = await launch();
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.setViewport({ width: 1280, height: 900 });
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(String(error)));
      await page.goto(`${server.origin}/#/media/`);
      await page.click("#files ::-p-text(app.log)");
      await page.waitForFunction(
        `document.querySelector("#preview pre")?.textContent === "first\\nsecond\\nthird\\n"`,
      );

      await page.click("#preview-follow");
      await page.waitForSelector(`#preview pre[data-follow="live"]`);
      await page.waitForFunction(
        `document.querySelector("#preview pre").textContent === "first\\nsecond\\nthird\\n"`,
      );
      assert.equal(await page.$eval("#preview-follow", (b) => b.textContent), "Pause");

      const lines = Array.from({ length: 300 }, (_, i) => `written ${i + 1}`);
      await Deno.writeTextFile(log, lines.join("\n") + "\n", { append: true });
      await page.waitForFunction(
        `document.querySelector("#preview pre").textContent.endsWith("written 300\\n")`,
      );
      // It kept to the bottom as the lines came.
      assert.ok(
        await inPage<boolean>(
          page,
          `(() => { const p = document.querySelector("#preview pre");
            return p.scrollHeight > p.clientHeight && p.scrollTop + p.clientHeight >= p.scrollHeight - 4; })()`,
        ),
        "scrolled to the newest line",
      );

      await Deno.mkdir(`${artifacts}`, { recursive: true });
      await (await page.$("#preview"))!.screenshot({ path: `${artifacts}/page-follow.png` });
      await page.click("#preview-follow");
      await page.waitForSelector(`#preview pre[data-follow="paused"]`);
      // The connection is closed, so the server's slot is free while paused.
      await server.waitForLog(/GET \/media\/app\.log\?follow&from=-16384 200 \d+B .* aborted/);
      await Deno.writeTextFile(log, "while paused\n", { append: true });
      await page.click("#preview-follow");
      await page.waitForFunction(
        `document.querySelector("#preview pre").textContent.endsWith("while paused\\n")`,
      );
      assert.equal(
        await preText(page),
        ["first", "second", "third", ...lines, "while paused"].join("\n") + "\n",
        "every line once, in order",
      );

      await Deno.remove(log);
      await page.waitForSelector(`#preview pre[data-follow="ended"]`);
      assert.ok(
        (await preText(page)).endsWith("while paused\n── the file is gone; following ended ──\n"),
      );
      assert.equal(
        await page.$eval("#preview-follow", (b) => b.hasAttribute("disabled")),
        true,
      );
      assert.deepEqual(problems, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
