/**
 * Odd names and types in the media folder, as an outside review found them:
 * a file with a trailing slash, XML a browser could run, and names the
 * server refuses to serve. HTTP rules only: the media route is called directly.
 */
import assert from "node:assert/strict";
import { makeMediaApp } from "../support/media_app.ts";

const NO_SUCH_FILE = {
  type: "about:blank",
  title: "Not Found",
  status: 404,
  detail: "No such file",
};

Deno.test("a file asked for as a folder (trailing slash) is 404, not the file", async () => {
  await using app = await makeMediaApp({ files: { "a.txt": "a\n", "docs/b.txt": "b\n" } });
  for (const path of ["/media/a.txt/", "/media/docs/b.txt/", "/stream-video/a.txt/"]) {
    const res = await app.fetch(path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), NO_SUCH_FILE, path);
  }
  const file = await app.fetch(`/media/docs/b.txt`);
  assert.equal(await file.text(), "b\n");
  const folder = await app.fetch(`/media/docs`, { redirect: "manual" });
  assert.equal(folder.status, 301);
  assert.equal(folder.headers.get("location"), "/media/docs/");
  await folder.body?.cancel();
});

Deno.test("every XML type a browser could render is sandboxed like HTML and SVG", async () => {
  const active = [
    "page.html",
    "page.xhtml",
    "icon.svg",
    "data.xml",
    "feed.atom",
    "feed.rss",
    "graph.rdf",
    "style.xslt",
    "track.gpx",
    "place.kml",
    "formula.mathml",
  ];
  const passive = ["a.txt", "a.json", "a.csv", "clip.mp4", "photo.png"];
  const files = Object.fromEntries([...active, ...passive].map((name) => [name, "<x/>"]));
  await using app = await makeMediaApp({ files: files });
  for (const name of [...active, ...passive]) {
    const res = await app.fetch(`/media/${name}`);
    assert.equal(await res.text(), "<x/>", name);
    const type = res.headers.get("content-type")!;
    if (active.includes(name)) assert.match(type, /html|xml/, name);
    assert.equal(
      res.headers.get("content-security-policy"),
      active.includes(name) ? "sandbox" : null,
      `${name} (${type})`,
    );
  }
});

Deno.test("a listing shows no name the server would refuse to serve", async () => {
  await using app = await makeMediaApp({
    files: {
      "plain.txt": "p\n",
      "back\\slash.txt": "b\n",
      "sub\\dir/inner.txt": "i\n",
      ".hidden": "h\n",
    },
  });
  const json = await app.fetch(`/media/`, {
    headers: { accept: "application/json" },
  });
  const listing = await json.json();
  assert.deepEqual(listing.entries.map((e: { name: string }) => e.name), ["plain.txt"]);
  const html = await (await app.fetch(`/media/`)).text();
  assert.ok(!html.includes("slash") && !html.includes("sub"), html);
  // And what is not listed is not served either.
  for (const path of ["/media/back%5Cslash.txt", "/media/sub%5Cdir/inner.txt"]) {
    const res = await app.fetch(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});
