import assert from "node:assert/strict";
import { Router } from "../../../lib/http/router.ts";

/** The patterns the routes use, and one shape the router does not compile. */
const PATTERNS = [
  "/media{/:path(.*)}?",
  "/stream-video/:path(.+)",
  "/healthz",
  "/",
  "/export/",
  "/export/:name",
  "/ui/:file",
];

/** URLs a client may send, including odd ones; `new URL()` canonicalizes each as Deno.serve does. */
const URLS = [
  "/",
  "/media",
  "/media/",
  "/media/a.mp4",
  "/media/clips/a%20b.mp4",
  "/media/a%2Fb",
  "/media//double",
  "/media/../etc/passwd",
  "/media/%2e%2e/x",
  "/media/caf\u00e9 \u{1F600}.mp4",
  "/media/a?download=x",
  "/media/a#frag",
  "/media/{x}<y>`z`",
  "/media/a\\b",
  "/mediax",
  "/MEDIA/a",
  "/stream-video",
  "/stream-video/",
  "/stream-video/a.mp4",
  "/stream-video/a/b/",
  "/healthz",
  "/healthz/",
  "/healthzz",
  "/export",
  "/export/",
  "/export/t",
  "/export/t/u",
  "/ui/app.js",
  "/ui/",
];

Deno.test("Router matches every route shape exactly as URLPattern does", () => {
  for (const pathname of PATTERNS) {
    const router = new Router([{
      name: "r",
      methods: ["GET"],
      pathname,
      handler: () => new Response(),
    }]);
    const pattern = new URLPattern({ pathname });
    for (const url of URLS) {
      const path = new URL(url, "http://x").pathname;
      const expected = pattern.exec({ pathname: path })?.pathname.groups ?? null;
      const match = router.match("GET", path);
      const got = match.kind === "route" ? match.params : null;
      assert.deepEqual(got, expected, `${pathname} against ${path}`);
    }
  }
});

Deno.test("Router answers 405 with Allow for a path that matches with another method", () => {
  const router = new Router([
    {
      name: "a",
      methods: ["POST"],
      pathname: "/media{/:path(.*)}?",
      handler: () => new Response(),
    },
  ]);
  assert.deepEqual(router.match("GET", "/media/a"), {
    kind: "method-not-allowed",
    allow: ["POST"],
  });
  assert.deepEqual(router.match("GET", "/other"), { kind: "not-found" });
});

Deno.test("Router: a route with `query` matches only when the URL's query has that parameter", () => {
  const handler = () => new Response("");
  const router = new Router([
    {
      name: "media_follow",
      methods: ["GET"],
      pathname: "/media/:path(.+)",
      query: "follow",
      handler,
    },
    { name: "media", methods: ["GET"], pathname: "/media{/:path(.*)}?", handler },
  ]);
  const name = (search: string) => {
    const match = router.match("GET", "/media/app.log", search);
    return match.kind === "route" ? match.route.name : match.kind;
  };
  assert.equal(name("?follow"), "media_follow");
  assert.equal(name("?from=-10&follow="), "media_follow");
  assert.equal(name(""), "media");
  assert.equal(name("?followed"), "media");
  assert.equal(name("?x=follow"), "media");
  // No search given (callers that match by path only): never the query route.
  const bare = router.match("GET", "/media/app.log");
  assert.equal(bare.kind === "route" && bare.route.name, "media");
});
