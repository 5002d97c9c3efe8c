import assert from "node:assert/strict";
import { allows, parseScope, parseScopes } from "../../../lib/access/scopes.ts";

Deno.test("parseScope() reads every kind of scope", () => {
  assert.deepEqual(parseScope("*"), { kind: "*" });
  assert.deepEqual(parseScope("media"), { kind: "media" });
  assert.deepEqual(parseScope("media:/films/"), { kind: "media", folders: ["/films"] });
  assert.deepEqual(parseScope("media:/a,/b/c"), { kind: "media", folders: ["/a", "/b/c"] });
  assert.deepEqual(parseScope("media:/"), { kind: "media", folders: [""] });
  assert.deepEqual(parseScope("export:items,orders"), {
    kind: "export",
    tables: ["items", "orders"],
  });
  for (const word of ["jobs", "metrics", "sign"]) {
    assert.deepEqual(parseScope(word), { kind: word });
  }
});

Deno.test("parseScope() refuses what is not a scope", () => {
  for (
    const word of [
      "",
      "admin",
      "media:",
      "media:films",
      "media:/a/../b",
      "media:/./a",
      "media://a",
      "export:",
      "export:a,,b",
      "jobs:x",
      "*:x",
      "MEDIA",
    ]
  ) {
    assert.throws(() => parseScope(word), SyntaxError, word);
  }
  assert.throws(() => parseScopes([]), /at least one scope/);
});

Deno.test("allows() narrows media by folder (whole segments) and export by table", () => {
  const films = [parseScope("media:/films")];
  assert.ok(allows(films, { scope: "media", resource: "/films" }));
  assert.ok(allows(films, { scope: "media", resource: "/films/a.mp4" }));
  assert.ok(!allows(films, { scope: "media", resource: "/filmsX/a.mp4" }));
  assert.ok(!allows(films, { scope: "media", resource: "/" }));
  assert.ok(!allows(films, { scope: "media" }));
  assert.ok(allows([parseScope("media:/")], { scope: "media", resource: "/x" }));
  const tables = [parseScope("export:items")];
  assert.ok(allows(tables, { scope: "export", resource: "items" }));
  assert.ok(!allows(tables, { scope: "export", resource: "orders" }));
  assert.ok(!allows(tables, { scope: "export" }), "the index needs every table");
  assert.ok(allows([parseScope("export")], { scope: "export" }));
  assert.ok(!allows(films, { scope: "export", resource: "items" }));
  assert.ok(allows([parseScope("*")], { scope: "jobs" }));
  assert.ok(!allows([parseScope("sign"), parseScope("media")], { scope: "metrics" }));
});
