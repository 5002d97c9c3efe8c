import assert from "node:assert/strict";
import { redactTarget } from "../../../lib/access/redact.ts";

Deno.test("redactTarget() hides sig, token and access_token values and nothing else", () => {
  const cases: [string, string][] = [
    ["/a?expires=1&sig=abc", "/a?expires=1&sig=REDACTED"],
    ["/a?sig=abc&b=1", "/a?sig=REDACTED&b=1"],
    ["/a?token=t&access_token=u&TOKEN=v", "/a?token=REDACTED&access_token=REDACTED&TOKEN=REDACTED"],
    ["/a?signature=x&mysig=y", "/a?signature=x&mysig=y"],
    ["/sig=x", "/sig=x"],
    ["/a", "/a"],
  ];
  for (const [target, expected] of cases) assert.equal(redactTarget(target), expected);
});
