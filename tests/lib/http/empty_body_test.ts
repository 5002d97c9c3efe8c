import assert from "node:assert/strict";
import { emptyBody } from "../../../lib/http/empty_body.ts";

Deno.test("emptyBody() ends at once and, unlike null, announces no Content-Length", async () => {
  assert.deepEqual(await Array.fromAsync(emptyBody()), []);
  const res = new Response(emptyBody(), { headers: { "content-type": "text/csv" } });
  assert.equal(res.headers.get("content-length"), null);
  assert.equal(await res.text(), "");
});
