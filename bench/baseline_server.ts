/**
 * The least a Deno file server can do, for the bench to compare Sluice with:
 * `Deno.serve`, `Deno.open` and the file's own `readable` with a
 * Content-Length, which Deno sends on its native path (64 KiB reads in Rust,
 * no JS per chunk). A single `bytes=a-b` range of up to 64 KiB is read into
 * memory (seek, read, close: what a ten-line server does), a longer one is
 * sent as a stream of just those bytes. No access log, no validators, no
 * content type.
 *
 * Usage: `deno run --allow-net=127.0.0.1 --allow-read bench/baseline_server.ts DIR`
 * serves DIR's files (not its subfolders) at `/media/NAME` on a free port and
 * prints `Baseline listening on http://127.0.0.1:PORT/`.
 *
 * @module
 */

const root = Deno.args[0];
if (root === undefined) {
  console.error("usage: baseline_server.ts DIR");
  Deno.exit(2);
}

/** Sends `length` bytes from the file's current position, then closes it. */
function sliceStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let remaining = length;
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const chunk = new Uint8Array(Math.min(remaining, 64 * 1024));
      const n = await file.read(chunk);
      if (n === null) {
        file.close();
        controller.error(new Error("The file ended before the range"));
        return;
      }
      remaining -= n;
      controller.enqueue(chunk.subarray(0, n));
      if (remaining === 0) {
        file.close();
        controller.close();
      }
    },
    cancel() {
      file.close();
    },
  });
}

async function handler(req: Request): Promise<Response> {
  const { pathname } = new URL(req.url);
  const name = decodeURIComponent(pathname.slice("/media/".length));
  if (!pathname.startsWith("/media/") || name === "" || /[/\\]|^\./.test(name)) {
    return new Response("Not Found", { status: 404 });
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(`${root}/${name}`);
  } catch {
    return new Response("Not Found", { status: 404 });
  }
  const { size } = await file.stat();
  const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.get("range") ?? "");
  if (range !== null) {
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), size - 1);
    if (start > end) {
      file.close();
      return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
    }
    await file.seek(start, Deno.SeekMode.Start);
    const headers = {
      "content-length": String(end - start + 1),
      "content-range": `bytes ${start}-${end}/${size}`,
    };
    if (end - start + 1 <= 64 * 1024) {
      const bytes = new Uint8Array(end - start + 1);
      for (let got = 0; got < bytes.length;) {
        const n = await file.read(bytes.subarray(got));
        if (n === null) break;
        got += n;
      }
      file.close();
      return new Response(bytes, { status: 206, headers });
    }
    return new Response(sliceStream(file, end - start + 1), {
      status: 206,
      headers: {
        "content-length": String(end - start + 1),
        "content-range": `bytes ${start}-${end}/${size}`,
      },
    });
  }
  return new Response(file.readable, { headers: { "content-length": String(size) } });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }) {
    console.log(`Baseline listening on http://127.0.0.1:${port}/`);
  },
}, handler);
