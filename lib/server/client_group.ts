/**
 * The key per-client limits count by: an IPv4 address as it is, an IPv6
 * address by its /64. One IPv6 subscriber or host usually gets a whole /64
 * and can use any address in it, so counting single addresses would let one
 * client open a stream per address.
 *
 * @module
 */

/**
 * Groups a client address for per-client limits.
 *
 * @param address An IPv4 or IPv6 address as `Deno.NetAddr` or a forwarding header gives it.
 * @returns The IPv4 address, `a:b:c:d::/64` for IPv6 (an IPv4-mapped IPv6
 * address counts as its IPv4 address), or the input trimmed when it is neither.
 * @example
 * ```ts
 * clientGroup("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * ```
 */
export function clientGroup(address: string): string {
  let text = address.trim().toLowerCase();
  // A forwarding header may carry "[v6]:port" or a zone ("fe80::1%eth0").
  const bracketed = /^\[([^\]]*)\]/.exec(text);
  if (bracketed !== null) text = bracketed[1];
  text = text.replace(/%.*$/, "");
  if (!text.includes(":")) return text;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped !== null) return mapped[1];
  const groups = expand(text);
  if (groups === undefined) return text;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function expand(text: string): string[] | undefined {
  // An embedded IPv4 tail takes the last two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    text = text.slice(0, v4.index) + `${hex(a, b)}:${hex(c, d)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups : undefined;
}
