/**
 * An HTTP/1.1 client on a raw socket whose body arrives as it is read, still
 * content-coded: `fetch` in Deno always decodes gzip and br itself, so it
 * cannot show what went on the wire, nor when.
 *
 * @module
 */

/** A response whose body is read off the socket on demand. */
export interface StreamedResponse {
  status: number;
  headers: Headers;
  /** The body after chunked framing is removed, content coding kept. Cancel or read it to the end. */
  body: ReadableStream<Uint8Array<ArrayBuffer>>;
}

/** Options for {@linkcode openRaw}. */
export interface OpenRawOptions {
  /** @default "GET" */
  method?: string;
  /** Request headers; nothing is added but Host and `Connection: close`. @default {} */
  headers?: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOfCrlf(buf: Uint8Array, from = 0): number {
  for (let i = from; i + 1 < buf.byteLength; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

/** Buffered reads from the connection. */
class Input {
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}
  /** Reads more; false at the end of the connection. */
  async more(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.buf.byteLength + n);
    joined.set(this.buf);
    joined.set(chunk.subarray(0, n), this.buf.byteLength);
    this.buf = joined;
    return true;
  }
  async mustMore(): Promise<void> {
    if (!(await this.more())) throw new Error("The connection closed in the middle of the body");
  }
  take(n: number): Uint8Array<ArrayBuffer> {
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async line(): Promise<string> {
    for (let i = 0; i < 10_000 && indexOfCrlf(this.buf) === -1; i++) await this.mustMore();
    const end = indexOfCrlf(this.buf);
    if (end === -1) throw new Error("No line end");
    const text = decoder.decode(this.take(end));
    this.take(2);
    return text;
  }
}

async function* chunkedBody(input: Input): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  for (let chunks = 0; chunks < 1_000_000; chunks++) {
    const size = parseInt(await input.line(), 16);
    if (Number.isNaN(size)) throw new Error("Bad chunk size");
    if (size === 0) return;
    let left = size;
    for (let i = 0; left > 0 && i < 1_000_000; i++) {
      if (input.buf.byteLength === 0) await input.mustMore();
      const part = input.take(Math.min(left, input.buf.byteLength));
      left -= part.byteLength;
      yield part;
    }
    if ((await input.line()) !== "") throw new Error("Chunk not followed by CRLF");
  }
}

/** A body of `length` bytes, or up to the end of the connection when Infinity. */
async function* lengthBody(input: Input, length: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  let left = length;
  for (let i = 0; left > 0 && i < 1_000_000; i++) {
    if (input.buf.byteLength === 0 && !(await input.more())) {
      if (Number.isFinite(left)) throw new Error("The connection closed in the middle of the body");
      return;
    }
    const part = input.take(Math.min(left, input.buf.byteLength));
    left -= part.byteLength;
    yield part;
  }
}

/** A byte stream over `parts` that closes the connection when it ends, fails or is cancelled. */
function closing(
  conn: Deno.Conn,
  parts: AsyncIterator<Uint8Array<ArrayBuffer>>,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  let open = true;
  const close = () => {
    if (open) conn.close();
    open = false;
  };
  return new ReadableStream({
    async pull(controller) {
      try {
        const result = await parts.next();
        if (!result.done) return controller.enqueue(result.value);
        close();
        controller.close();
      } catch (error) {
        close();
        throw error;
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * Sends one request and returns as soon as the response head has arrived.
 * The socket closes when the body ends or is cancelled.
 *
 * @param origin `http://127.0.0.1:PORT`.
 * @param target The request-target, such as `/media/a.log`.
 * @param options Method and headers.
 * @returns Status, headers and the undecoded body.
 */
export async function openRaw(
  origin: string,
  target: string,
  options: OpenRawOptions = {},
): Promise<StreamedResponse> {
  const { method = "GET", headers = {} } = options;
  const { hostname, port } = new URL(origin);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const input = new Input(conn);
  try {
    const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await conn.write(encoder.encode(
      `${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n${fields}\r\n`,
    ));
    const statusLine = await input.line();
    const status = Number(statusLine.split(" ")[1]);
    const responseHeaders = new Headers();
    for (let i = 0; i < 200; i++) {
      const line = await input.line();
      if (line === "") break;
      const colon = line.indexOf(":");
      responseHeaders.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const length = responseHeaders.get("content-length");
    // HEAD, 204 and 304 have no body whatever their headers say (RFC 9112
    // 6.3). The request said `Connection: close`, so the body is whatever
    // the server sends before it closes: empty from a correct server, and
    // the stray bytes, for the test to see, from a wrong one.
    const bodiless = method === "HEAD" || status === 304 || status === 204;
    const parts = bodiless
      ? lengthBody(input, Infinity)
      : responseHeaders.get("transfer-encoding") === "chunked"
      ? chunkedBody(input)
      : lengthBody(input, length === null ? Infinity : Number(length));
    return { status, headers: responseHeaders, body: closing(conn, parts) };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** Reads a body to its end. */
export async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}
