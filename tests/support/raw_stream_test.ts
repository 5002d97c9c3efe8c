import assert from "node:assert/strict";
import { openRaw, readAll } from "./raw_stream.ts";

/**
 * A one-shot HTTP/1.1 peer that writes `response` verbatim and closes: the
 * helper must show a wrong server's bytes, not tidy them away.
 */
async function withPeer(response: string, fn: (origin: string) => Promise<void>) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await conn.read(new Uint8Array(4096));
      await conn.write(new TextEncoder().encode(response));
    } finally {
      conn.close();
    }
  })();
  await fn(`http://127.0.0.1:${listener.addr.port}`);
  await served;
}

const text = new TextDecoder();

Deno.test("openRaw() shows the stray bytes a wrong server sends after a 304", async () => {
  await withPeer('HTTP/1.1 304 Not Modified\r\nETag: "1"\r\n\r\nstray', async (origin) => {
    const res = await openRaw(origin, "/x");
    assert.equal(res.status, 304);
    assert.equal(res.headers.get("etag"), '"1"');
    assert.equal(text.decode(await readAll(res.body)), "stray");
  });
});

Deno.test("openRaw() reads a correct 304 as empty, and a body by its Content-Length", async () => {
  await withPeer("HTTP/1.1 304 Not Modified\r\n\r\n", async (origin) => {
    const res = await openRaw(origin, "/x");
    assert.equal(res.status, 304);
    assert.equal((await readAll(res.body)).byteLength, 0);
  });
  await withPeer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", async (origin) => {
    const res = await openRaw(origin, "/x");
    assert.equal(text.decode(await readAll(res.body)), "abc");
  });
});
