/**
 * A client that reads a response at a fixed application rate, run as its own
 * program (inside a network namespace by tests/routes/ops_slow_reader_test.ts).
 *
 * Usage: `deno run --allow-net slow_reader.ts URL BYTES_PER_SECOND MAX_SECONDS`
 * (rate 0: as fast as it can). Prints one JSON line: `{ status, bytes,
 * sha256, end, seconds }`, where `end` is `complete`, `cut` (the connection
 * closed short of the body's end) or `timeout`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { openRaw } from "./raw_stream.ts";

const [url, rateText, maxText] = Deno.args;
const rate = Number(rateText);
const maxMs = Number(maxText) * 1000;
const started = performance.now();
const hash = createHash("sha256");
let bytes = 0;
let end = "complete";
// A raw socket read on demand: fetch would read ahead into memory, so the
// server would see a fast client however slowly the body is consumed.
const { origin, pathname, search } = new URL(url);
const res = await openRaw(origin, pathname + search);
const reader = res.body.getReader();
try {
  for (let i = 0; i < 10_000_000; i++) {
    if (performance.now() - started > maxMs) {
      end = "timeout";
      await reader.cancel();
      break;
    }
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
    // Take no more than `rate` bytes per second since the start.
    const due = rate > 0 ? (bytes / rate) * 1000 - (performance.now() - started) : 0;
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  }
} catch {
  end = "cut";
}
console.log(JSON.stringify({
  status: res.status,
  bytes,
  sha256: hash.digest("hex"),
  end,
  seconds: (performance.now() - started) / 1000,
}));
