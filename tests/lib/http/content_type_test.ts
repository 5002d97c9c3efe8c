import assert from "node:assert/strict";
import { contentTypeFor, FALLBACK_TYPE } from "../../../lib/http/content_type.ts";

const CASES: [string, string][] = [
  ["clip.mp4", "video/mp4"],
  ["clip.MP4", "video/mp4"],
  ["movie.webm", "video/webm"],
  ["movie.mkv", "video/x-matroska"],
  ["movie.mov", "video/quicktime"],
  ["song.mp3", "audio/mpeg"],
  ["poster.png", "image/png"],
  ["notes.txt", "text/plain; charset=utf-8"],
  ["notes.TXT", "text/plain; charset=utf-8"],
  ["server.log", "text/plain; charset=utf-8"],
  ["README.md", "text/markdown; charset=utf-8"],
  ["data.csv", "text/csv; charset=utf-8"],
  ["data.json", "application/json; charset=utf-8"],
  ["page.html", "text/html; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["icon.svg", "image/svg+xml"],
  ["archive.tar.gz", "application/gzip"],
  ["docs/guide.txt", "text/plain; charset=utf-8"],
  ["ümlaut ñame.txt", "text/plain; charset=utf-8"],
  // Unknown or no extension: the fallback.
  ["blob.xyz123", "application/octet-stream"],
  ["README", "application/octet-stream"],
  [".bashrc", "application/octet-stream"],
  ["trailing.", "application/octet-stream"],
  ["dir.mp4/file", "application/octet-stream"],
  ["", "application/octet-stream"],
];

for (const [name, type] of CASES) {
  Deno.test(`contentTypeFor() types ${JSON.stringify(name)} as ${type}`, () => {
    assert.equal(contentTypeFor(name), type);
  });
}

Deno.test("FALLBACK_TYPE is application/octet-stream", () => {
  assert.equal(FALLBACK_TYPE, "application/octet-stream");
});
