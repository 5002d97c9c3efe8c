import assert from "node:assert/strict";
import { rawRequest } from "../support/http.ts";
import { makeMediaApp, type MediaApp } from "../support/media_app.ts";
import { makeMediaFixture } from "../support/media_fixture.ts";
import { startTestServer } from "../support/server.ts";

/** Content of files outside the media folder or hidden in it: none may leak. */
const SECRETS = ["OUTSIDE", "EVIL", "SECRET", "root:"];

const notFound = (detail: string) => ({
  type: "about:blank",
  title: "Not Found",
  status: 404,
  detail,
});

/**
 * The media route called directly, answering as {@linkcode rawRequest} does.
 * Targets a URL can hold need no socket; raw `../` and `\\` stay on one.
 */
async function direct(app: MediaApp, target: string, method = "GET") {
  const res = await app.fetch(target, { method });
  return { status: res.status, text: await res.text() };
}

function assertNothingLeaks(body: string, paths: string[], label: string) {
  for (const secret of SECRETS) assert.ok(!body.includes(secret), `${label} leaked ${secret}`);
  for (const path of paths) {
    assert.ok(!body.includes(path), `${label} leaked the path ${path}`);
  }
  assert.ok(!body.includes("/tmp"), `${label} leaked a temp path`);
}

Deno.test("raw ../ and encoded dot segments never leave the media folder", async () => {
  await using fx = await makeMediaFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  // Sent byte for byte on a socket: fetch would normalize most of these away.
  const targets: [string, string][] = [
    ["/media/../outside.txt", "Nothing is served at this path"],
    ["/media/../../../../etc/passwd", "Nothing is served at this path"],
    ["/media/%2e%2e/outside.txt", "Nothing is served at this path"],
    ["/media/%2E%2E/%2E%2E/etc/passwd", "Nothing is served at this path"],
    ["/media/docs/../../outside.txt", "Nothing is served at this path"],
    ["/media/..\\outside.txt", "Nothing is served at this path"],
    ["/media/..%2foutside.txt", "No such file"],
    ["/media/..%2Foutside.txt", "No such file"],
    ["/media/docs/..%2f..%2foutside.txt", "No such file"],
    ["/media/..%5coutside.txt", "No such file"],
    ["/media/%5c..%5c..%5coutside.txt", "No such file"],
    ["/media/..%2fmedia-evil%2fsecret.txt", "No such file"],
    ["/media/%2e%2e%2fmedia-evil%2fsecret.txt", "No such file"],
    ["/media/%2fetc%2fpasswd", "No such file"],
    ["/media//etc/passwd", "No such file"],
    ["/media/%5cetc%5cpasswd", "No such file"],
    ["/stream-video/..%2foutside.txt", "No such file"],
    ["/stream-video/../outside.txt", "Nothing is served at this path"],
  ];
  for (const [target, detail] of targets) {
    const res = await rawRequest(server.origin, target);
    assert.equal(res.status, 404, target);
    assert.equal(res.headers.get("content-type"), "application/problem+json", target);
    assert.deepEqual(JSON.parse(res.text), notFound(detail), target);
    assertNothingLeaks(res.text, [fx.root, fx.media], target);
  }
});

Deno.test("malformed percent-encoding and NUL bytes are 400", async () => {
  await using fx = await makeMediaApp();
  const targets: [string, string][] = [
    ["/media/%zz", "The path has malformed percent-encoding"],
    ["/media/clip.mp4%", "The path has malformed percent-encoding"],
    ["/media/%C3", "The path has malformed percent-encoding"],
    ["/media/%E0%A4%A", "The path has malformed percent-encoding"],
    ["/media/%00", "The path contains a NUL byte"],
    ["/media/clip.mp4%00.txt", "The path contains a NUL byte"],
    ["/media/docs/%00/guide.txt", "The path contains a NUL byte"],
  ];
  for (const [target, detail] of targets) {
    const res = await direct(fx, target);
    assert.equal(res.status, 400, target);
    assert.deepEqual(JSON.parse(res.text), {
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail,
    }, target);
    assertNothingLeaks(res.text, [fx.root, fx.media], target);
  }
});

Deno.test("symlinks that lead outside the folder or to a dotfile serve nothing", async () => {
  await using fx = await makeMediaApp();
  for (
    const target of [
      "/media/escape-link.txt", // absolute link to ../outside.txt
      "/media/evil-link.txt", // relative link into the sibling media-evil/
      "/media/evil-dir/secret.txt", // a folder link into media-evil/
      "/media/evil-dir/",
      "/media/dot-link.txt", // a link to .env inside the folder
      "/media/dotdir-link/config", // a folder link to .git/
      "/media/dotdir-link/",
      "/media/dangling.txt",
    ]
  ) {
    for (const method of ["GET", "HEAD"]) {
      const res = await direct(fx, target, method);
      assert.equal(res.status, 404, `${method} ${target}`);
      if (method === "GET") {
        assert.deepEqual(JSON.parse(res.text), notFound("No such file"), target);
        assertNothingLeaks(res.text, [fx.root, fx.media], target);
      }
    }
  }
  // A link that stays inside and names no dotfile is fine.
  const inner = await direct(fx, "/media/inner-link.txt");
  assert.equal(inner.status, 200);
  assert.equal(inner.text, "hello, sluice\n");
});

Deno.test("dotfiles and dot-folders are neither served nor listed", async () => {
  await using fx = await makeMediaApp();
  for (
    const target of [
      "/media/.env",
      "/media/.git/config",
      "/media/.git/",
      "/media/.git",
      "/media/%2eenv",
      "/media/%2Egit/config",
      "/media/docs/..%2f.env",
      "/stream-video/.env",
    ]
  ) {
    const res = await direct(fx, target);
    assert.equal(res.status, 404, target);
    assert.deepEqual(JSON.parse(res.text), notFound("No such file"), target);
  }
  const listing = await fx.fetch("/media/", {
    headers: { accept: "application/json" },
  });
  const names = (await listing.json()).entries.map((e: { name: string }) => e.name);
  for (const hidden of [".env", ".git", "dot-link.txt", "dotdir-link", "dangling.txt"]) {
    assert.ok(!names.includes(hidden), `${hidden} is listed`);
  }
  for (const outside of ["escape-link.txt", "evil-link.txt", "evil-dir"]) {
    assert.ok(!names.includes(outside), `${outside} is listed`);
  }
});

Deno.test("a sibling folder named like the media folder is not inside it", async () => {
  await using fx = await makeMediaFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  // `media-evil` starts with `media`: a prefix check without a separator would let it in.
  for (
    const target of [
      "/media/../media-evil/secret.txt",
      "/media/..%2fmedia-evil/secret.txt",
      "/media/evil-link.txt",
      "/media/evil-dir/secret.txt",
    ]
  ) {
    const res = await rawRequest(server.origin, target);
    assert.equal(res.status, 404, target);
    assertNothingLeaks(res.text, [fx.root, fx.media], target);
  }
});

Deno.test("error bodies never name the media folder on disk", async () => {
  await using fx = await makeMediaApp();
  for (
    const target of [
      "/media/missing.mp4",
      "/media/docs/missing/x.txt",
      "/media/notes.txt/x",
      "/media/",
      "/media/docs/",
      `/media/${encodeURIComponent(fx.media)}`,
      `/media${fx.media}`,
    ]
  ) {
    for (const accept of ["application/json", "text/html"]) {
      const res = await fx.fetch(target, { headers: { accept } });
      const body = await res.text();
      assertNothingLeaks(body, [fx.root, fx.media], target);
    }
  }
});
