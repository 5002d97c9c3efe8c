import assert from "node:assert/strict";
import { HttpError } from "../../../lib/http/http_error.ts";
import {
  decodePathSegments,
  isInside,
  isServable,
  resolveInside,
} from "../../../lib/files/safe_path.ts";
import { makeTempTree } from "../../support/server.ts";

function assertHttpError(fn: () => unknown, status: number, message: string) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  });
}

async function assertRejectsHttp(promise: Promise<unknown>, status: number, message: string) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("decodePathSegments() decodes each segment on its own", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["/", []],
    ["a.mp4", ["a.mp4"]],
    ["clips/a.mp4", ["clips", "a.mp4"]],
    ["clips//a.mp4/", ["clips", "a.mp4"]],
    ["caf%C3%A9.mp4", ["café.mp4"]],
    ["with%20space.txt", ["with space.txt"]],
    ["%E6%97%A5%E6%9C%AC", ["日本"]],
    ["a..b", ["a..b"]],
    ["a.", ["a."]],
    ["%25zz", ["%zz"]],
    ["%3Cb%3E", ["<b>"]],
  ];
  for (const [path, segments] of cases) {
    assert.deepEqual(decodePathSegments(path), segments, path);
  }
});

Deno.test("decodePathSegments() rejects dot segments, dotfiles and smuggled separators with 404", () => {
  for (
    const path of [
      ".",
      "..",
      "a/../b",
      "%2e%2e",
      "%2E%2E/etc",
      "%2e",
      ".env",
      "a/.git/config",
      "%2eenv",
      "..%2fetc",
      "a%2fb",
      "a%2Fb",
      "a%5cb",
      "a%5Cb",
      "a\\b",
      "..\\etc",
    ]
  ) {
    assertHttpError(() => decodePathSegments(path), 404, "No such file");
  }
});

Deno.test("decodePathSegments() rejects malformed percent-encoding and NUL with 400", () => {
  for (const path of ["%zz", "a%", "%2", "%C3", "%E6%97", "%ED%A0%80", "a/%G0"]) {
    assertHttpError(
      () => decodePathSegments(path),
      400,
      "The path has malformed percent-encoding",
    );
  }
  for (const path of ["%00", "a%00.mp4", "a/%00/b"]) {
    assertHttpError(() => decodePathSegments(path), 400, "The path contains a NUL byte");
  }
});

Deno.test("isInside() compares whole segments", () => {
  const cases: [string, string, boolean][] = [
    ["/srv/media", "/srv/media", true],
    ["/srv/media", "/srv/media/a.mp4", true],
    ["/srv/media", "/srv/media/a/b/c", true],
    ["/srv/media/", "/srv/media/a", true],
    ["/srv/media", "/srv/media-evil", false],
    ["/srv/media", "/srv/media-evil/a.mp4", false],
    ["/srv/media", "/srv/medi", false],
    ["/srv/media", "/srv", false],
    ["/srv/media", "/etc/passwd", false],
    ["/", "/etc/passwd", true],
  ];
  for (const [root, path, inside] of cases) {
    assert.equal(isInside(root, path), inside, `${root} ${path}`);
  }
});

Deno.test("isServable() refuses paths outside the root or through a dot segment", () => {
  const cases: [string, boolean][] = [
    ["/srv/media", true],
    ["/srv/media/a.mp4", true],
    ["/srv/media/docs/a.txt", true],
    ["/srv/media/a.b/c", true],
    ["/srv/media/.env", false],
    ["/srv/media/.git/config", false],
    ["/srv/media/docs/.hidden", false],
    ["/srv/media-evil/a.mp4", false],
    ["/srv/.media/a.mp4", false],
  ];
  for (const [path, servable] of cases) {
    assert.equal(isServable("/srv/media", path), servable, path);
  }
});

Deno.test("resolveInside() follows symlinks and keeps the result inside the root", async () => {
  const root = await makeTempTree({
    "media/a.mp4": "a",
    "media/docs/b.txt": "b",
    "media/.env": "secret",
    "media-evil/x.txt": "evil",
    "outside.txt": "outside",
  });
  try {
    const media = await Deno.realPath(`${root}/media`);
    await Deno.symlink(`${root}/outside.txt`, `${media}/out.txt`);
    await Deno.symlink("../media-evil", `${media}/evil`);
    await Deno.symlink(".env", `${media}/env.txt`);
    await Deno.symlink("a.mp4", `${media}/alias.mp4`);
    await Deno.symlink("missing", `${media}/dangling`);
    await Deno.symlink("loop", `${media}/loop`);

    assert.equal(await resolveInside(media, []), media);
    assert.equal(await resolveInside(media, ["a.mp4"]), `${media}/a.mp4`);
    assert.equal(await resolveInside(media, ["docs", "b.txt"]), `${media}/docs/b.txt`);
    assert.equal(await resolveInside(media, ["alias.mp4"]), `${media}/a.mp4`);
    for (
      const segments of [
        ["out.txt"],
        ["evil", "x.txt"],
        ["evil"],
        ["env.txt"],
        ["dangling"],
        ["loop"],
        ["missing.mp4"],
        ["a.mp4", "x"],
      ]
    ) {
      await assertRejectsHttp(resolveInside(media, segments), 404, "No such file");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
