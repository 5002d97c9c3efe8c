/**
 * The page in chromium with access control on: it asks for a token, keeps it
 * in sessionStorage, lists media with it, plays and seeks the video through a
 * signed link (a <video> cannot send a header), and runs an export.
 */

import assert from "node:assert/strict";
import { startAccessServer } from "./support/access_fixture.ts";
import { chromiumMissing, inPage, launch, text, value, waitForState } from "./support/chromium.ts";

const root = new URL("..", import.meta.url).pathname;
const missing = await chromiumMissing("page_access_browser_test");

Deno.test({
  name: "the page in chromium with a token: prompt, signed video that seeks, an export",
  ignore: missing !== undefined,
  async fn(t) {
    await using s = await startAccessServer(["--compression", "off"], { media: `${root}media` });
    await using browser = await launch();
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const video: { url: string; headers: Record<string, string> }[] = [];
    const problems: string[] = [];
    page.on("request", (req) => {
      if (new URL(req.url()).pathname === "/media/sample.mp4") {
        video.push({ url: req.url(), headers: req.headers() });
      }
    });
    page.on("pageerror", (error) => problems.push(`uncaught: ${error}`));
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });

    await t.step("without a token the page asks for one", async () => {
      await page.goto(`${s.server.origin}/`, { waitUntil: "networkidle0" });
      await page.waitForSelector("#access:not([hidden])");
      assert.equal(await text(page, "#access-status"), "This server needs a token.");
      assert.match(await text(page, "#media-status"), /^Cannot list this folder: 401 /);
    });

    await t.step("a wrong token is refused and forgotten", async () => {
      await page.type("#access-token", "sluice_wrong");
      await Promise.all([page.waitForNavigation(), page.click("#access-use")]);
      await page.waitForSelector("#access:not([hidden])");
      assert.equal(
        await text(page, "#access-status"),
        "The server refused this token (unknown or revoked). Enter another.",
      );
      assert.equal(await inPage(page, `sessionStorage.getItem("sluice-token")`), null);
    });

    await t.step("with the token the media list shows, its links signed", async () => {
      await page.type("#access-token", s.tokens.all);
      await Promise.all([page.waitForNavigation(), page.click("#access-use")]);
      await page.waitForSelector("#files ::-p-text(sample.mp4)");
      assert.equal(await inPage(page, `sessionStorage.getItem("sluice-token")`), s.tokens.all);
      assert.equal(await inPage(page, `localStorage.length`), 0);
      assert.equal(await inPage(page, `document.getElementById("access").hidden`), true);
      await page.waitForFunction(
        `document.querySelector("#files a[aria-label='Download sample.mp4']").getAttribute("href").includes("&sig=")`,
      );
      const href = await page.$eval(
        "#files a[aria-label='Download sample.mp4']",
        (a) => a.getAttribute("href")!,
      );
      assert.match(href, /^\/media\/sample\.mp4\?download&expires=\d+&sig=[\w-]{43}$/);
      // The link works with no token at all, as a download manager would use it.
      const res = await fetch(`${s.server.origin}${href}`, { headers: { range: "bytes=0-3" } });
      assert.equal(res.status, 206);
      const file = await Deno.readFile(`${root}media/sample.mp4`);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), file.subarray(0, 4));
    });

    await t.step("the video plays and seeks through a signed link", async () => {
      await page.click("#files ::-p-text(sample.mp4)");
      await page.waitForSelector("#preview video[src]");
      assert.match(
        await page.$eval("#preview video", (v) => v.getAttribute("src")!),
        /^\/media\/sample\.mp4\?expires=\d+&sig=[\w-]{43}$/,
      );
      await inPage(page, `document.querySelector("video").play()`);
      await page.waitForFunction(`document.querySelector("video").currentTime > 0.3`);
      const seeked = await inPage<number>(
        page,
        `new Promise((resolve, reject) => {
          const video = document.querySelector("video");
          video.addEventListener("seeked", () => resolve(video.currentTime));
          video.addEventListener("error", () => reject(new Error(video.error?.message)));
          video.currentTime = 4.5;
        })`,
      );
      assert.ok(Math.abs(seeked - 4.5) < 0.1, `currentTime after the seek: ${seeked}`);
      await inPage(page, `document.querySelector("video").pause()`);
      assert.ok(video.length >= 1);
      for (const request of video) {
        assert.match(request.url, /\?expires=\d+&sig=/);
        assert.equal(request.headers.authorization, undefined);
      }
      assert.match(video[0].headers.range ?? "", /^bytes=\d+-/);
      const line = await s.server.waitForLog(
        / #link GET \/media\/sample\.mp4\?expires=\d+&sig=REDACTED 206 /,
      );
      assert.ok(!line.includes(s.tokens.all));
    });

    await t.step("an export runs with the token", async () => {
      await page.waitForSelector("#export-table option[value=plain]");
      await page.select("#export-table", "plain");
      await page.click("input[value=csv]");
      await page.click("#export-start");
      await waitForState(page, "exports", "complete");
      assert.equal(await value(page, "#export-rows"), 2);
      await s.server.waitForLog(/ all GET \/export\/plain\.csv 200 /);
      assert.match(
        await page.$eval("#export-download", (a) => a.getAttribute("href")!),
        /^\/export\/plain\.csv\?expires=\d+&sig=[\w-]{43}$/,
      );
    });

    await t.step("Forget token drops it and asks again", async () => {
      await Promise.all([page.waitForNavigation(), page.click("#access-forget")]);
      await page.waitForSelector("#access:not([hidden])");
      assert.equal(await inPage(page, `sessionStorage.getItem("sluice-token")`), null);
    });
    assert.deepEqual(problems, []);
  },
});
