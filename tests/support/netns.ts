/**
 * A network namespace a test creates and removes itself (as root), for what
 * only the kernel shows: socket buffers and wake-ups of a slow reader, a
 * rate-limited link. Programs run inside it through `ip netns exec`.
 *
 * @module
 */

/** A namespace, deleted on dispose. */
export interface Netns extends AsyncDisposable {
  name: string;
  /** The command prefix that runs a program inside it. */
  wrap: string[];
  /** Runs `ip` (or another program) and fails with its output when it fails. */
  run(cmd: string[]): Promise<void>;
}

async function run(cmd: string[]): Promise<void> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`${cmd.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Why namespaces cannot be used here, or undefined when they can: tries to
 * make and remove one.
 */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux only";
  const name = `sluice-probe-${Deno.pid}`;
  try {
    await run(["ip", "netns", "add", name]);
    await run(["ip", "netns", "del", name]);
    return undefined;
  } catch (error) {
    return `cannot make a network namespace (root and iproute2 needed): ${
      (error as Error).message
    }`;
  }
}

/**
 * Makes a namespace with its loopback up, then sets `sysctls` inside it
 * (only this namespace sees them).
 *
 * @param tag A short name part, so parallel tests do not collide.
 * @param sysctls Such as `{ "net.ipv4.tcp_wmem": "4096 16384 209715" }`.
 * @param loMtu The loopback's MTU (its MSS follows). @default 65536
 */
export async function createNetns(
  tag: string,
  sysctls: Record<string, string> = {},
  loMtu = 65536,
): Promise<Netns> {
  const name = `sluice-${tag}-${Deno.pid}`;
  await run(["ip", "netns", "add", name]);
  const wrap = ["ip", "netns", "exec", name];
  try {
    await run(["ip", "-n", name, "link", "set", "lo", "mtu", String(loMtu), "up"]);
    for (const [key, value] of Object.entries(sysctls)) {
      await run([...wrap, "sysctl", "-q", "-w", `${key}=${value}`]);
    }
  } catch (error) {
    await run(["ip", "netns", "del", name]);
    throw error;
  }
  return {
    name,
    wrap,
    run,
    [Symbol.asyncDispose]: () => run(["ip", "netns", "del", name]),
  };
}
