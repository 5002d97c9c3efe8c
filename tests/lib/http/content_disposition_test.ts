import assert from "node:assert/strict";
import { contentDisposition } from "../../../lib/http/content_disposition.ts";

/** [name, type, header] */
const CASES: [string, "attachment" | "inline", string][] = [
  ["clip.mp4", "inline", "inline; filename=clip.mp4"],
  ["clip.mp4", "attachment", "attachment; filename=clip.mp4"],
  ["with space.txt", "inline", 'inline; filename="with space.txt"'],
  ["a;b=c.txt", "attachment", 'attachment; filename="a;b=c.txt"'],
  ['a"b.txt', "attachment", 'attachment; filename="a\\"b.txt"'],
  ["100%.txt", "attachment", "attachment; filename=100%.txt"],
  // Non-ASCII: an ASCII fallback (accents dropped) and RFC 8187 filename*.
  ["café.mp4", "attachment", "attachment; filename=cafe.mp4; filename*=UTF-8''caf%C3%A9.mp4"],
  [
    "ümlaut ñame.txt",
    "inline",
    `inline; filename="umlaut name.txt"; filename*=UTF-8''%C3%BCmlaut%20%C3%B1ame.txt`,
  ],
  [
    "日本語.txt",
    "attachment",
    "attachment; filename=_.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt",
  ],
  ["€", "attachment", "attachment; filename=download; filename*=UTF-8''%E2%82%AC"],
  // Control characters never reach the header raw.
  ["\nx.txt", "attachment", "attachment; filename=_x.txt; filename*=UTF-8''%0Ax.txt"],
  ["x\u0000y.txt", "attachment", "attachment; filename=x_y.txt; filename*=UTF-8''x%00y.txt"],
  // Only the last path segment, with either separator.
  ["a/b/c.txt", "inline", "inline; filename=c.txt"],
  ["..\\..\\x.txt", "attachment", "attachment; filename=x.txt"],
  ["../../etc/passwd", "attachment", "attachment; filename=passwd"],
  // Nothing usable: a neutral name.
  ["", "attachment", "attachment; filename=download"],
  ["/", "attachment", "attachment; filename=download"],
];

for (const [name, type, header] of CASES) {
  Deno.test(`contentDisposition() gives ${JSON.stringify(name)} as ${type}`, () => {
    assert.equal(contentDisposition(name, type), header);
  });
}

Deno.test("contentDisposition() output is a valid header value for any name", () => {
  for (const name of ["\r\nSet-Cookie: x=1", "a\u007fb", "tab\there", "😀.mp4", "\u202egpj.exe"]) {
    const value = contentDisposition(name, "attachment");
    assert.doesNotThrow(() => new Headers({ "content-disposition": value }), value);
    assert.match(value, /^[\x20-\x7e]+$/, value);
  }
});
