import assert from "node:assert/strict";
import { PAGE_CSP, pageRoutes } from "../../routes/page.ts";
import { routeFetch } from "../support/route_fetch.ts";
import { startTestServer } from "../support/server.ts";

const PAGE_DIR = new URL("../../routes/page/", import.meta.url);
const IDENTITY = { "accept-encoding": "identity" };
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

const readPage = (name: string) => Deno.readFile(new URL(name, PAGE_DIR));

Deno.test("GET / serves the page with a strict CSP and revalidation", async () => {
  await using server = await startTestServer();
  const res = await fetch(`${server.origin}/`, { headers: IDENTITY });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("content-security-policy"), PAGE_CSP);
  assert.equal(
    PAGE_CSP,
    "default-src 'self'; media-src 'self'; img-src 'self' data:; style-src 'self'; " +
      "script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-disposition"), null);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), await readPage("index.html"));
  await server.waitForLog(/GET \/ 200 \d+B .* complete$/);

  const again = await fetch(`${server.origin}/`, {
    headers: { ...IDENTITY, "if-none-match": res.headers.get("etag")! },
  });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), "");
  assert.equal(again.headers.get("etag"), res.headers.get("etag"));

  const head = await fetch(`${server.origin}/`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-security-policy"), PAGE_CSP);
  assert.equal(await head.text(), "");

  const post = await fetch(`${server.origin}/`, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
});

Deno.test("every asset the page names is served from /ui/, and nothing from elsewhere", async () => {
  // HTTP rules only: the page route is called directly, as the pipeline would with compression on.
  const fetch = routeFetch(pageRoutes({ compression: {} }), {});
  const html = new TextDecoder().decode(await readPage("index.html"));
  const referenced = [...html.matchAll(/\b(?:src|href)="([^"#]+)"/g)].map((m) => m[1]);
  // Links to Sluice's own routes, and the page's assets: never another origin.
  for (const url of referenced) assert.match(url, /^\/(?!\/)/, `${url} is on this origin`);
  const assets = new Set(referenced.filter((url) => url.startsWith("/ui/")));
  // The module graph from app.js: every import is a sibling the page serves (bounded: one
  // visit per file, and the folder holds a handful).
  const modules = ["app.js"];
  for (let i = 0; i < modules.length && i < 50; i++) {
    const source = new TextDecoder().decode(await readPage(modules[i]));
    assert.doesNotMatch(source, /https?:\/\//, `${modules[i]} fetches only this origin`);
    for (const m of source.matchAll(/^import[^"]*"([^"]+)";$/gm)) {
      assert.match(m[1], /^\.\/[a-z_]+\.js$/, `${modules[i]} imports a sibling module`);
      const name = m[1].slice(2);
      if (!modules.includes(name)) modules.push(name);
    }
  }
  for (const name of modules) assets.add(`/ui/${name}`);
  assert.deepEqual([...assets].sort(), [
    "/ui/access.js",
    "/ui/app.js",
    "/ui/dom.js",
    "/ui/export_filters.js",
    "/ui/export_panel.js",
    "/ui/export_run.js",
    "/ui/follow_view.js",
    "/ui/icon.svg",
    "/ui/jobs_panel.js",
    "/ui/live_panel.js",
    "/ui/media_panel.js",
    "/ui/page_logic.js",
    "/ui/style.css",
  ]);
  for (const path of assets) {
    const res = await fetch(path, { headers: IDENTITY });
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), TYPES[path.split(".").pop()!], path);
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    assert.match(res.headers.get("etag") ?? "", /^(W\/)?"/, path);
    assert.deepEqual(
      new Uint8Array(await res.arrayBuffer()),
      await readPage(path.slice("/ui/".length)),
      path,
    );
  }
});

Deno.test("/ui/ serves only the page's own assets", async () => {
  // HTTP rules only: the page route is called directly, as the pipeline would with compression on.
  const fetch = routeFetch(pageRoutes({ compression: {} }), {});
  const cases: Array<[string, number]> = [
    ["/ui/missing.js", 404],
    ["/ui/index.html", 404],
    ["/ui/..%2Fpage.ts", 404],
    ["/ui/..%2F..%2Fmain.ts", 404],
    ["/ui/App.js", 404],
    ["/ui/", 404],
    ["/ui", 404],
  ];
  for (const [path, status] of cases) {
    const res = await fetch(path);
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json", path);
    const problem = await res.json();
    assert.equal(problem.status, status, path);
  }
});
