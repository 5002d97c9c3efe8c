import assert from "node:assert/strict";
import { clientGroup } from "../../../lib/server/client_group.ts";

Deno.test("clientGroup keeps IPv4 and groups IPv6 by /64", () => {
  const cases: [string, string][] = [
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:0:0:0:9", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["[2001:db8:1:2::5]:443", "2001:db8:1:2::/64"],
    ["::ffff:198.51.100.1", "198.51.100.1"],
    ["64:ff9b::198.51.100.1", "64:ff9b:0:0::/64"],
    ["unknown", "unknown"],
    ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"], // not an address: counted as given
    ["1::2::3", "1::2::3"],
  ];
  for (const [input, want] of cases) assert.equal(clientGroup(input), want, input);
});
