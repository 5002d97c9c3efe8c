import assert from "node:assert/strict";
import {
  checkLink,
  importSigningKey,
  newSigningKey,
  signLink,
} from "../../../lib/access/signed_link.ts";

const key = await importSigningKey(newSigningKey());
const at = (target: string) => new URL(target, "http://127.0.0.1:8000");

Deno.test("signLink() appends expires and a 43-character base64url sig; checkLink() accepts it until then", async () => {
  const link = await signLink(key, "/media/a b.mp4?download", 2_000_000_000);
  assert.match(link, /^\/media\/a%20b\.mp4\?download&expires=2000000000&sig=[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await checkLink(key, at(link), 1_999_999_999), {
    kind: "valid",
    expires: 2_000_000_000,
  });
  assert.deepEqual(await checkLink(key, at(link), 2_000_000_000), {
    kind: "expired",
    expires: 2_000_000_000,
  });
  assert.deepEqual(await checkLink(key, at("/media/a.mp4")), { kind: "none" });
});

Deno.test("checkLink() refuses a sig not last, twice, or an expires that is not a plain number", async () => {
  const link = await signLink(key, "/a", 2_000_000_000);
  const sig = link.slice(-43);
  for (
    const target of [`/a?sig=${sig}&expires=2000000000`, `${link}&sig=${sig}`, `/a?sig=${sig}`]
  ) {
    assert.deepEqual(await checkLink(key, at(target), 0), { kind: "bad-signature" }, target);
  }
});

Deno.test("signLink() refuses what is not a path, or has expires or sig already", async () => {
  for (const target of ["media/a", "//evil/a", "http://x/a", "/a#b", "/a?expires=1", "/a?sig=1"]) {
    await assert.rejects(() => signLink(key, target, 1), TypeError, target);
  }
});

Deno.test("importSigningKey() refuses short or malformed keys", async () => {
  await assert.rejects(() => importSigningKey("abc"), /shorter than 32 bytes/);
  await assert.rejects(() => importSigningKey("not base64 !!"), /not base64url/);
});
