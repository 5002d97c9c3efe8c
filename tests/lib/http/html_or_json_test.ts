import assert from "node:assert/strict";
import { htmlOrJson } from "../../../lib/http/html_or_json.ts";
import { HttpError } from "../../../lib/http/http_error.ts";

const render = (calls: string[]) => ({
  html: () => (calls.push("html"), "<p>x</p>"),
  json: () => (calls.push("json"), { x: 1 }),
});
const req = (accept?: string) =>
  new Request("http://x/", { headers: accept === undefined ? {} : { accept } });

Deno.test("htmlOrJson() sends HTML by default and to browsers, with Vary and no-cache", async () => {
  for (const accept of [undefined, "*/*", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"]) {
    const calls: string[] = [];
    const res = await htmlOrJson(req(accept), "Lists are", render(calls));
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("vary"), "accept");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(await res.text(), "<p>x</p>");
    assert.deepEqual(calls, ["html"]);
  }
});

Deno.test("htmlOrJson() sends JSON when Accept prefers it", async () => {
  const calls: string[] = [];
  const res = await htmlOrJson(req("application/json"), "Lists are", render(calls));
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("vary"), "accept");
  assert.deepEqual(await res.json(), { x: 1 });
  assert.deepEqual(calls, ["json"]);
});

Deno.test("htmlOrJson() refuses with 406 and renders nothing when neither is accepted", async () => {
  const calls: string[] = [];
  await assert.rejects(htmlOrJson(req("text/csv"), "Lists are", render(calls)), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 406);
    assert.equal(error.message, "Lists are available as text/html or application/json");
    return true;
  });
  assert.deepEqual(calls, []);
});
