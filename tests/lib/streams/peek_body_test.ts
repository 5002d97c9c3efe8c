import assert from "node:assert/strict";
import { peekBody } from "../../../lib/streams/peek_body.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("peekBody() reads a body made from a string to its end", async () => {
  const peeked = await peekBody(new Response('{"status":"ok"}').body!, 1024);
  assert.equal(peeked.complete, true);
  assert.equal(peeked.size, 15);
  assert.equal(await new Response(peeked.body).text(), '{"status":"ok"}');
});

Deno.test("peekBody() stops at the limit and replays everything", async () => {
  const parts = Array.from({ length: 100 }, (_, i) => bytes(`part ${i}\n`));
  const peeked = await peekBody(ReadableStream.from(parts), 20);
  assert.equal(peeked.complete, false);
  assert.equal(peeked.size, 21); // "part 0\n" three times: the first read past 20 bytes.
  const expected = parts.map((p) => new TextDecoder().decode(p)).join("");
  assert.equal(await new Response(peeked.body).text(), expected);
});

Deno.test("peekBody() does not wait for a producer that pauses", async () => {
  let resume!: () => void;
  const paused = new Promise<void>((r) => resume = r);
  let step = 0;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(c) {
      if (step++ === 0) return c.enqueue(bytes("now "));
      await paused;
      c.enqueue(bytes("later"));
      c.close();
    },
  });
  const peeked = await peekBody(source, 1024);
  assert.equal(peeked.complete, false);
  assert.equal(peeked.size, 4);
  resume();
  assert.equal(await new Response(peeked.body).text(), "now later");
});

Deno.test("peekBody() keeps a failure for whoever reads the body", async () => {
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(c) {
      c.error(new Error("no rows"));
    },
  });
  const peeked = await peekBody(source, 1024);
  assert.equal(peeked.complete, false);
  await assert.rejects(new Response(peeked.body).text(), /no rows/);
});

Deno.test("peekBody() passes a cancel on to the source", async () => {
  let cancelled: unknown;
  let resume!: () => void;
  const paused = new Promise<void>((r) => resume = r);
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(c) {
      await paused;
      c.enqueue(bytes("late"));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const peeked = await peekBody(source, 1024);
  resume();
  await peeked.body.cancel("client gone");
  assert.equal(cancelled, "client gone");
});
