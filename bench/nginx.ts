/**
 * nginx serving a folder under `/media/` with sendfile, as the bench's
 * reference for a native static server: its own config, prefix, pid file, logs
 * and temp paths in a temp folder; one master and one worker, in the
 * foreground; no access log.
 *
 * @module
 */

import { childPids } from "./rss.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

/** Picks a free port on 127.0.0.1 (nginx must be told one). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Writes the config for serving `root` on `port`.
 *
 * @param root The folder served at `/media/` (absolute).
 * @param port The port to listen on.
 * @param prefix The temp folder for the pid file, logs and temp paths.
 * @returns nginx.conf's text.
 */
export function nginxConfig(root: string, port: number, prefix: string): string {
  return `# Written by bench/nginx.ts for one bench run.
daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  # Deno does not close keep-alive connections after N requests; neither should the reference.
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /media/ { alias ${root}/; }
  }
}
`;
}

/**
 * Starts nginx serving `root` at `/media/` on a free port.
 *
 * @param nginx The nginx program's path.
 * @param root The folder to serve (absolute).
 * @returns The server; its memory is its worker's. `stop()` also removes the temp folder.
 */
export async function startNginx(nginx: string, root: string): Promise<ServerProcess> {
  const prefix = await Deno.makeTempDir({ prefix: "sluice-bench-nginx-" });
  try {
    const conf = `${prefix}/nginx.conf`;
    const port = freePort();
    await Deno.writeTextFile(conf, nginxConfig(root, port, prefix));
    const server = await spawnServer({
      label: "nginx",
      command: nginx,
      args: ["-c", conf, "-p", prefix, "-e", `${prefix}/error.log`],
      port,
      async measuredPid(master) {
        for (let attempt = 0; attempt < 100; attempt++) {
          const [worker] = await childPids(master);
          if (worker !== undefined) return worker;
          await new Promise((r) => setTimeout(r, 20));
        }
        return master;
      },
    });
    return {
      ...server,
      async stop() {
        await server.stop();
        await Deno.remove(prefix, { recursive: true });
      },
    };
  } catch (error) {
    await Deno.remove(prefix, { recursive: true }).catch(() => {});
    throw error;
  }
}
