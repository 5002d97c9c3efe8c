/**
 * The page in a real browser: Debian's chromium, headless and offline, driven
 * by puppeteer-core over a pipe (tests/support/chromium.ts). Where chromium is
 * not installed the test is skipped with the reason printed; CI installs it.
 *
 * The server runs with a rate limit past a burst, so a large export is still
 * arriving when Cancel is pressed, and /stream-data visibly arrives in steps.
 */

import assert from "node:assert/strict";
import { formatBytes, formatCount } from "../routes/page/page_logic.js";
import { FAIL_AFTER, makeExportDb } from "./support/export_fixture.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { chromiumMissing, inPage, launch, text, value, waitForState } from "./support/chromium.ts";

const root = new URL("..", import.meta.url).pathname;
const artifacts = `${root}tests/.artifacts`;
const ROWS = 50_000;

const missing = await chromiumMissing("page_browser_test");

/** The access-log line of a request, once its body ended. */
function logLine(server: TestServer, path: string, status: number): Promise<string> {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return server.waitForLog(new RegExp(` GET ${escaped} ${status} \\d+B `), 10_000);
}

Deno.test({
  name: "the page in chromium: media, a seeking player, live exports with cancel and resume",
  ignore: missing !== undefined,
  async fn(t) {
    await using db = await makeExportDb(ROWS);
    await using server = await startTestServer([
      "--db",
      db.path,
      "--media-dir",
      `${root}media`,
      // Off, so the bytes the page counts are the bytes the server logs.
      "--compression",
      "off",
      "--rate-limit",
      "1m",
      "--rate-limit-after",
      "512k",
    ]);
    await using browser = await launch();
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.setViewport({ width: 1280, height: 900 });
    const elsewhere: string[] = [];
    const mediaRequests: Record<string, string>[] = [];
    const problems: string[] = [];
    page.on("request", (req) => {
      // data: URLs are the player's own icons, drawn by chromium.
      const url = req.url();
      if (!url.startsWith(`${server.origin}/`) && !url.startsWith("data:")) elsewhere.push(url);
      if (req.url().endsWith("/media/sample.mp4")) mediaRequests.push(req.headers());
    });
    page.on("pageerror", (error) => problems.push(`uncaught: ${error}`));
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });

    await page.goto(`${server.origin}/`, { waitUntil: "networkidle0" });

    await t.step("the media list shows the server's listing", async () => {
      const res = await fetch(`${server.origin}/media/`, {
        headers: { accept: "application/json" },
      });
      const listing = await res.json();
      const rows = await page.$$eval(
        "#files tbody tr",
        (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent?.trim() ?? "")),
      );
      assert.deepEqual(
        rows.map(([name, , size, , download]) => [name, size, download]),
        listing.entries.map((e: { name: string; type: string; size: number }) =>
          e.type === "directory"
            ? [`${e.name}/`, "—", ""]
            : [e.name, formatBytes(e.size), "Download"]
        ),
      );
      const href = await page.$eval(
        "#files a[aria-label='Download sample.mp4']",
        (a) => a.getAttribute("href"),
      );
      assert.equal(href, "/media/sample.mp4?download");
    });

    await t.step("a sub-folder opens, and its text file previews inline", async () => {
      await page.click("#files a[href='#/media/docs/']");
      await page.waitForSelector("#crumbs [aria-current=page]");
      assert.equal(await text(page, "#crumbs"), "media / docs");
      // The folder as one ZIP, with the exact size a HEAD of ?zip gives.
      await page.waitForSelector("#media-zip:not([hidden])");
      const zip = await fetch(`${server.origin}/media/docs/?zip`, { method: "HEAD" });
      assert.equal(
        await page.$eval("#media-zip-link", (a) => a.getAttribute("href")),
        "/media/docs/?zip",
      );
      assert.equal(
        await text(page, "#media-zip-size"),
        formatBytes(Number(zip.headers.get("content-length"))),
      );
      await page.click("#files ::-p-text(README.md)");
      await page.waitForFunction(
        `document.querySelector("#preview pre")?.textContent !== "Loading…"`,
      );
      assert.equal(
        await text(page, "#preview pre"),
        (await Deno.readTextFile(`${root}media/docs/README.md`)).trim(),
      );
      await page.click("#files ::-p-text(↑ Up)");
      await page.waitForSelector("#files ::-p-text(sample.mp4)");
    });

    await t.step("the sample video plays and seeks, over Range requests", async () => {
      await page.click("#files ::-p-text(sample.mp4)");
      await page.waitForSelector("#preview video");
      // DevTools runs this as a user gesture, so autoplay rules let it play.
      await inPage(page, `document.querySelector("video").play()`);
      await page.waitForFunction(`document.querySelector("video").currentTime > 0.3`);
      const seeked = await inPage<number[]>(
        page,
        `new Promise((resolve, reject) => {
          const video = document.querySelector("video");
          video.addEventListener("seeked", () => resolve([video.currentTime, video.duration]));
          video.addEventListener("error", () => reject(new Error(video.error?.message)));
          video.currentTime = 4.5;
        })`,
      );
      assert.ok(Math.abs(seeked[0] - 4.5) < 0.1, `currentTime after the seek: ${seeked[0]}`);
      assert.ok(Math.abs(seeked[1] - 6) < 0.2, `duration: ${seeked[1]}`);
      await page.waitForFunction(`document.querySelector("video").currentTime > 4.7`);
      assert.ok(mediaRequests.length >= 1);
      assert.match(mediaRequests[0].range ?? "", /^bytes=\d+-/);
      assert.match(await logLine(server, "/media/sample.mp4", 206), / complete$/);
      await inPage(page, `document.querySelector("video").pause()`);
    });

    await t.step(
      "an NDJSON export that fails half-way says so, and its resume is refused",
      async () => {
        await page.select("#export-table", "failing");
        await page.click("#export-start");
        await waitForState(page, "exports", "failed");
        assert.equal(await value(page, "#export-rows"), FAIL_AFTER);
        assert.equal(
          await text(page, "#export-status"),
          `The server failed after ${formatCount(FAIL_AFTER)} rows: The export failed after ` +
            `${FAIL_AFTER} rows; see the server log. Resume with ?after=${FAIL_AFTER}.`,
        );
        assert.match(await logLine(server, "/export/failing.ndjson", 200), / failed error=/);
        assert.equal(await text(page, "#export-resume"), `Resume after id ${FAIL_AFTER}`);
        await page.click("#export-resume");
        await page.waitForSelector("#export-status::-p-text(refused)");
        await waitForState(page, "exports", "failed");
        assert.equal(
          await text(page, "#export-status"),
          "The server refused the export: 500 Internal Server Error: " +
            "The server failed to answer this request; see its log.",
        );
        await logLine(server, `/export/failing.ndjson?after=${FAIL_AFTER}`, 500);
      },
    );

    await t.step("a CSV export whose transfer breaks is not shown as complete", async () => {
      await page.click("input[value=csv]");
      await page.click("#export-start");
      await waitForState(page, "exports", "failed");
      assert.equal(await value(page, "#export-rows"), FAIL_AFTER);
      assert.match(
        await text(page, "#export-status"),
        new RegExp(`^The stream broke after ${formatCount(FAIL_AFTER)} rows \\(`),
      );
      assert.match(await logLine(server, "/export/failing.csv", 200), / failed error=/);
    });

    await t.step(
      "Cancel aborts the fetch, the server logs it, and Resume goes on after it",
      async () => {
        await page.select("#export-table", "items");
        await page.click("input[value=ndjson]");
        await page.click("#export-start");
        await page.waitForFunction(`document.getElementById("export-rows").dataset.value > 0`);
        await page.click("#export-cancel");
        await waitForState(page, "exports", "cancelled");
        const rows = await value(page, "#export-rows");
        assert.ok(rows > 0 && rows < ROWS, `rows before cancelling: ${rows}`);
        assert.equal(await text(page, "#export-total"), formatCount(ROWS));
        assert.match(await logLine(server, "/export/items.ndjson", 200), / aborted$/);
        // Ids run from 1, so the last complete row's id is the count.
        assert.equal(await text(page, "#export-resume"), `Resume after id ${rows}`);
        await page.click("#export-resume");
        await page.waitForFunction(
          `document.getElementById("export-rows").dataset.value > ${rows}`,
        );
        await page.click("#export-cancel");
        await waitForState(page, "exports", "cancelled");
        assert.match(await logLine(server, `/export/items.ndjson?after=${rows}`, 200), / aborted$/);
      },
    );

    await t.step("a CSV export runs to the end and shows the server's counts", async () => {
      await page.click("input[value=csv]");
      await page.type("#export-limit", "5000");
      await page.click("#export-start");
      await waitForState(page, "exports", "complete");
      const head = await fetch(`${server.origin}/export/items.csv?limit=5000`, { method: "HEAD" });
      assert.equal(head.headers.get("x-total-rows"), "5000");
      await head.body?.cancel();
      const line = await logLine(server, "/export/items.csv?limit=5000", 200);
      const sent = Number(/ 200 (\d+)B /.exec(line)![1]);
      assert.equal(await value(page, "#export-rows"), 5000);
      assert.equal(await text(page, "#export-total"), "5,000");
      assert.equal(await value(page, "#export-bytes"), sent);
      assert.equal(await inPage(page, `document.getElementById("export-progress").value`), 1);
      assert.match(await text(page, "#export-status"), /^Complete: 5,000 rows, /);
      const preview = await page.$$eval(
        "#export-preview tbody tr",
        (trs) => trs.map((tr) => tr.cells[0].textContent + " " + tr.cells[1].textContent),
      );
      assert.deepEqual(preview, Array.from({ length: 10 }, (_, i) => `${i + 1} item_${i + 1}`));
    });

    await t.step("Spreadsheet-safe CSV is offered for CSV only and asks for ?safe=1", async () => {
      const disabled = () =>
        inPage<boolean>(page, `document.getElementById("export-safe").disabled`);
      await page.click("input[value=json]");
      assert.equal(await disabled(), true);
      await page.click("input[value=csv]");
      assert.equal(await disabled(), false);
      await page.click("#export-safe");
      await page.click("#export-start");
      await waitForState(page, "exports", "complete");
      assert.equal(await text(page, "#export-url"), "GET /export/items.csv?limit=5000&safe=1");
      await logLine(server, "/export/items.csv?limit=5000&safe=1", 200);
      assert.equal(await value(page, "#export-rows"), 5000);
    });

    await t.step(
      "Prepare in background: the job shows live, then its download with size and digest",
      async () => {
        await page.click("input[value=csv]");
        await page.click("#export-gzip");
        await page.click("#export-prepare");
        await page.waitForSelector("#jobs-list li[data-state=done]", { timeout: 60_000 });
        const res = await fetch(`${server.origin}/jobs`, {
          headers: { accept: "application/json" },
        });
        const [job] = (await res.json()).jobs;
        assert.deepEqual([job.table, job.format, job.gzip, job.limit, job.state], [
          "items",
          "csv",
          true,
          5000,
          "done",
        ]);
        const item = `#job-${job.id}`;
        assert.equal(await text(page, `${item} .job-download`), "Download items.csv.gz");
        assert.equal(
          await page.$eval(`${item} .job-download`, (a) => a.getAttribute("href")),
          `/jobs/${job.id}/result`,
        );
        assert.equal(await value(page, `${item} .job-size`), job.result.size);
        assert.equal(await text(page, `${item} .job-digest`), job.result.digest);
        assert.equal(await text(page, `${item} .job-rows`), "5,000 of 5,000 rows");
        // The page followed the job through its event stream.
        await logLine(server, `/jobs/${job.id}/events`, 200);
        await page.click(`${item} .job-delete`);
        await page.waitForFunction(`document.getElementById("job-${job.id}") === null`);
        const gone = await fetch(`${server.origin}/jobs/${job.id}`);
        assert.equal(gone.status, 404);
        await gone.body?.cancel();
        await page.click("#export-gzip");
      },
    );

    await t.step(
      "a filter and an order built on the page: the URL it shows, the rows it shows",
      async () => {
        await page.click("input[value=ndjson]");
        await page.click("#export-limit", { count: 3 });
        await page.keyboard.press("Backspace");
        // price = (id % 10000) × 0.25 + 0.01: above 2400 are 400 of every 10,000 ids.
        await page.click("#export-add-filter");
        const first = ".filter-row:nth-child(1)";
        await page.select(`${first} .filter-column`, "price");
        assert.deepEqual(
          await page.$$eval(`${first} .filter-op option`, (os) => os.map((o) => o.textContent)),
          ["=", "≠", ">", "≥", "<", "≤", "in list", "is"],
        );
        await page.select(`${first} .filter-op`, "gt");
        await page.type(`${first} .filter-value`, "2400");
        await page.click("#export-add-filter");
        const second = ".filter-row:nth-child(2)";
        await page.select(`${second} .filter-column`, "label");
        await page.select(`${second} .filter-op`, "is");
        await page.click("#export-add-order");
        await page.select(".order-row .order-column", "price");
        await page.select(".order-row .order-direction", "desc");
        const path = "/export/items.ndjson?price=gt.2400&label=is.null&order=price.desc";
        assert.equal(await text(page, "#export-url"), `GET ${path}`);
        assert.equal(await text(page, "#export-order-key"), "then by id, so the order is total");
        await page.click("#export-start");
        await waitForState(page, "exports", "complete");
        assert.match(await logLine(server, path, 200), / complete$/);
        const res = await fetch(`${server.origin}${path}`);
        const counted = res.headers.get("x-total-rows");
        const rows = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
        // 2,000 ids with price above 2400, a third of them with no label.
        assert.equal(rows.length, 667);
        for (const [i, row] of rows.entries()) {
          assert.ok(row.price > 2400 && row.label === null, JSON.stringify(row));
          const next = rows[i + 1];
          if (next !== undefined) {
            assert.ok(row.price > next.price || (row.price === next.price && row.id > next.id));
          }
        }
        assert.equal(await value(page, "#export-rows"), rows.length);
        // Counted through the price index (2,000 rows visited): progress against the filtered count.
        assert.equal(counted, String(rows.length));
        assert.equal(await text(page, "#export-total"), formatCount(rows.length));
        assert.equal(await text(page, "#export-percent"), "100%");
        assert.equal(await inPage(page, `document.getElementById("export-progress").value`), 1);
        const preview = await page.$$eval(
          "#export-preview tbody tr",
          (trs) => trs.map((tr) => `${tr.cells[0].textContent} ${tr.cells[4].textContent}`),
        );
        assert.deepEqual(preview, rows.slice(0, 10).map((r) => `${r.id} ${r.price}`));

        // A value the column's type refuses: the server's 400, said on the page.
        await page.click(`${first} .filter-value`, { count: 3 });
        await page.type(`${first} .filter-value`, "a&b");
        assert.equal(
          await text(page, "#export-url"),
          "GET /export/items.ndjson?price=gt.a%26b&label=is.null&order=price.desc",
        );
        await page.click("#export-start");
        await waitForState(page, "exports", "failed");
        assert.match(
          await text(page, "#export-status"),
          /^The server refused the export: 400 Bad Request: Column "price" is REAL: /,
        );
        await page.click(`${second} .remove`);
        await page.click(`${first} .remove`);
        await page.click(".order-row .remove");
        assert.equal(await text(page, "#export-url"), "GET /export/items.ndjson");
      },
    );

    await t.step(
      "a cancelled filtered, ordered export resumes after its last row's token",
      async () => {
        await page.click("#export-add-filter");
        await page.select(".filter-row .filter-column", "quantity");
        await page.select(".filter-row .filter-op", "lt");
        await page.type(".filter-row .filter-value", "500");
        await page.click("#export-add-order");
        await page.select(".order-row .order-column", "price");
        await page.select(".order-row .order-direction", "desc");
        const path = "/export/items.ndjson?quantity=lt.500&order=price.desc";
        assert.equal(await text(page, "#export-url"), `GET ${path}`);
        const whole = (await (await fetch(`${server.origin}${path}`)).text()).trimEnd().split("\n");
        await page.click("#export-start");
        await page.waitForFunction(`document.getElementById("export-rows").dataset.value > 0`);
        await page.click("#export-cancel");
        await waitForState(page, "exports", "cancelled");
        const rows = await value(page, "#export-rows");
        assert.ok(rows < whole.length, `cancelled after ${rows} of ${whole.length}`);
        const last = JSON.parse(whole[rows - 1]);
        const token = `${last.price},${last.id}`;
        assert.equal(await text(page, "#export-resume"), `Resume after price, id ${token}`);
        await page.click("#export-resume");
        await waitForState(page, "exports", "complete");
        assert.equal(await text(page, "#export-url"), `GET ${path}&after=${token}`);
        assert.match(await logLine(server, `${path}&after=${token}`, 200), / complete$/);
        // The two requests together sent every row once.
        assert.equal(await value(page, "#export-rows"), whole.length);
        assert.match(
          await text(page, "#export-status"),
          new RegExp(`^Complete: ${formatCount(whole.length)} rows, `),
        );
        await page.click(".filter-row .remove");
        await page.click(".order-row .remove");
      },
    );

    await t.step("/stream-data arrives in steps, with a rows/second figure", async () => {
      const rows = 60_000;
      // Record every count the page shows while the stream runs.
      await inPage(
        page,
        `const el = document.getElementById("live-count");
        globalThis.seen = [];
        new MutationObserver(() => seen.push(Number(el.dataset.value)))
          .observe(el, { attributes: true });`,
      );
      await page.click("#live-rows", { count: 3 }); // selects the default, which typing replaces
      await page.type("#live-rows", String(rows));
      await page.click("#live-start");
      await waitForState(page, "live", "complete");
      assert.equal(await value(page, "#live-count"), rows);
      assert.match(await text(page, "#live-rate"), /^[\d,]+$/);
      assert.equal(await text(page, "#live-last"), `This is data row number ${rows - 1}`);
      const seen = await inPage<number[]>(page, "seen");
      const between = new Set(seen.filter((n) => n > 0 && n < rows));
      assert.ok(between.size >= 2, `counts seen on the way: ${seen.join(", ")}`);
      await logLine(server, `/stream-data?rows=${rows}`, 200);
    });

    await t.step("everything came from Sluice, under its CSP; screenshots saved", async () => {
      assert.deepEqual(elsewhere, []);
      assert.deepEqual(problems, []);
      await Deno.mkdir(artifacts, { recursive: true });
      await inPage(page, "scrollTo(0, 0)");
      await page.screenshot({ path: `${artifacts}/page.png`, fullPage: true });
      // A phone's width (isMobile would reload the page and lose what it shows).
      await page.setViewport({ width: 390, height: 844 });
      await page.screenshot({ path: `${artifacts}/page-phone.png`, fullPage: true });
    });
  },
});
