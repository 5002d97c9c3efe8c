/**
 * A full server makes room (issue 11 item 3): the stream whose client has
 * taken nothing for longest is cut off for a new request, instead of the new
 * request getting 503 until the stall timeout; clients that read are never
 * cut for it; the per-client cap follows `--max-streams`; an IPv6 /64 is one client.
 */
import assert from "node:assert/strict";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const MiB = 1024 * 1024;
const encoder = new TextEncoder();

/** Opens a GET that never reads its body, as `client` (an X-Forwarded-For address). */
async function neverRead(origin: string, client: string, id: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(origin).port) });
  await conn.write(encoder.encode(
    `GET /media/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${client}\r\n` +
      `X-Request-Id: ${id}\r\n\r\n`,
  ));
  return conn;
}

Deno.test("a full server cuts the stream unread for longest to admit a new one (evicted, not 503)", async () => {
  const dir = await makeTempTree({ "big.bin": "", "one.bin": "0123456789" });
  await Deno.truncate(`${dir}/big.bin`, 256 * MiB);
  const conns: Deno.Conn[] = [];
  try {
    // Evictable after 2 s of taking nothing; the stall cut-off comes later (up to 6 s).
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--max-streams",
      "3",
      "--stall-timeout",
      "2",
      "--client-ip-header",
      "x-forwarded-for",
    ]);
    const range = (client: string) =>
      fetch(`${server.origin}/media/big.bin`, {
        headers: { range: "bytes=0-9", "x-forwarded-for": client },
      });
    conns.push(await neverRead(server.origin, "198.51.100.1", "held-1"));
    await new Promise((r) => setTimeout(r, 300));
    conns.push(await neverRead(server.origin, "198.51.100.2", "held-2"));
    conns.push(await neverRead(server.origin, "198.51.100.3", "held-3"));

    // Nobody has waited 2 s yet: the newcomer is refused, nothing is cut.
    const early = await range("198.51.100.9");
    assert.equal(early.status, 503);
    assert.equal((await early.json()).detail, "The server is sending 3 streams already");
    assert.equal(server.logs.filter((l) => / held-/.test(l)).length, 0);

    // Later, the longest-waiting one (held-1) makes room.
    await new Promise((r) => setTimeout(r, 2_300));
    const late = await range("198.51.100.9");
    assert.equal(late.status, 206);
    assert.deepEqual(new Uint8Array(await late.arrayBuffer()), new Uint8Array(10));
    const line = await server.waitForLog(/ held-1 /, 1_000);
    assert.match(
      line,
      / 200 \d+B [\d.]+ms evicted error="Cut off to make room: the server was full and this client had taken no bytes for [\d.]+ s"$/,
    );
    assert.equal(server.logs.filter((l) => / held-[23] /.test(l)).length, 0);
    const families = parseMetrics(await (await fetch(`${server.origin}/metrics`)).text());
    assert.equal(
      sampleValue(families, "sluice_streams_total", { route: "media", outcome: "evicted" }),
      1,
    );
  } finally {
    for (const conn of conns) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the per-client cap is a sixteenth of --max-streams, and an IPv6 /64 is one client", async () => {
  const dir = await makeTempTree({ "big.bin": "" });
  await Deno.truncate(`${dir}/big.bin`, 64 * MiB);
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--max-streams",
      "32",
      "--client-ip-header",
      "x-forwarded-for",
    ]);
    // 32 / 16 = 2 per client. Hold two from one /64 with different addresses.
    const held: ReadableStreamDefaultReader<Uint8Array>[] = [];
    const get = (client: string) =>
      fetch(`${server.origin}/media/big.bin`, { headers: { "x-forwarded-for": client } });
    try {
      for (const client of ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::2"]) {
        const res = await get(client);
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        held.push(reader);
        assert.equal((await reader.read()).done, false);
      }
      const third = await get("2001:db8:1:2:ffff:ffff:ffff:ffff");
      assert.equal(third.status, 429);
      assert.equal((await third.json()).detail, "This client has 2 streams open already");
      const neighbour = await get("2001:db8:1:3::1");
      assert.equal(neighbour.status, 200);
      held.push(neighbour.body!.getReader());
    } finally {
      for (const reader of held) await reader.cancel();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
