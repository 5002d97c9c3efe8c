/**
 * The `zip` section: a folder of large files downloaded as one `?zip`
 * archive against the same bytes as one file (issue 13's goal: at least
 * 0.8×), and what a resumed download costs while the CRC cache is cold.
 *
 * @module
 */

import { ensureFixture, warmPageCache } from "./fixtures.ts";
import { download } from "./http_client.ts";
import { median } from "./files_bench.ts";
import type { Section } from "./section.ts";

const MIB = 1024 * 1024;
const FILES = 4;

/** Reads a range with fetch and returns the seconds it took and its length. */
async function timeRange(url: string, from: number): Promise<[number, number]> {
  const started = performance.now();
  const res = await fetch(url, { headers: { range: `bytes=${from}-` } });
  if (res.status !== 206) throw new Error(`${url} answered ${res.status} to a range`);
  let bytes = 0;
  for await (const chunk of res.body!) bytes += chunk.byteLength;
  return [(performance.now() - started) / 1000, bytes];
}

/** Folder-as-ZIP throughput, and a resumed range's cost with a cold and a warm CRC cache. */
export const section: Section = {
  name: "zip",
  description: "a folder of large files as one ?zip (MB/s) vs the same bytes as one file",
  async run(ctx) {
    const each = (ctx.quick ? 64 : 256) * MIB;
    const folder = `${ctx.workDir}/zip-folder`;
    await Deno.mkdir(folder, { recursive: true });
    ctx.log(`zip: preparing ${FILES} × ${each / MIB} MiB in ${folder}`);
    for (let i = 0; i < FILES; i++) await ensureFixture(`${folder}/part-${i}.bin`, each);
    const sameName = `zip-same-${(FILES * each) / MIB}mib.bin`;
    await ensureFixture(`${ctx.workDir}/${sameName}`, FILES * each);
    for (let i = 0; i < FILES; i++) await warmPageCache(`${folder}/part-${i}.bin`);
    await warmPageCache(`${ctx.workDir}/${sameName}`);

    const { sluice } = await ctx.fileServers();
    const zipUrl = `${sluice.origin}/media/zip-folder/?zip`;
    const size = Number((await fetch(zipUrl, { method: "HEAD" })).headers.get("content-length"));
    const zip: number[] = [], file: number[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      // Interleaved, each round starting with the other one.
      const order = round % 2 === 0 ? ["zip", "file"] : ["file", "zip"];
      for (const which of order) {
        const { bytesPerSecond } = which === "zip"
          ? await download(zipUrl, size, ctx.tools)
          : await download(`${sluice.origin}/media/${sameName}`, FILES * each, ctx.tools);
        (which === "zip" ? zip : file).push(bytesPerSecond / 1e6);
        ctx.log(`  round ${round + 1} ${which}: ${Math.round(bytesPerSecond / 1e6)} MB/s`);
      }
    }

    // A download broken at 90%, resumed on a fresh server: the descriptors and the central
    // directory need the CRCs of the files it does not send again, read once on demand.
    const fresh = await ctx.startSluice(["--media-dir", ctx.workDir]);
    const resumeUrl = `${fresh.origin}/media/zip-folder/?zip`;
    const from = Math.floor(size * 0.9);
    const [cold, coldBytes] = await timeRange(resumeUrl, from);
    const [warm] = await timeRange(resumeUrl, from);
    if (coldBytes !== size - from) throw new Error(`the resumed range sent ${coldBytes} bytes`);
    ctx.log(`zip: resume at 90%: ${cold.toFixed(2)} s cold, ${warm.toFixed(2)} s warm`);

    const spread = (s: number[]) => s.map(Math.round).join("/");
    return [{
      name: `GET ${FILES} × ${each / MIB} MiB folder as ?zip`,
      unit: "MB/s",
      higherIsBetter: true,
      values: { sluice: median(zip), "one-file": median(file) },
      goals: [{ against: "one-file", atLeast: 0.8 }],
      note: `median of ${ctx.rounds}, interleaved with the same ${
        FILES * each / MIB
      } MiB as one file from the same Sluice: zip ${spread(zip)}, one file ${spread(file)}`,
    }, {
      name: "?zip resumed at 90%: last 10%",
      unit: "s",
      higherIsBetter: false,
      values: { sluice: cold, warm },
      note: `a fresh Sluice (CRC cache cold: it reads the ${
        FILES * each * 0.9 / MIB
      } MiB it does not resend to compute their CRCs), then the same range again (cache warm)`,
    }];
  },
};
