/**
 * The external ZIP readers the ZIP tests check archives with: Info-ZIP's
 * `unzip`, Python's `zipfile`, libarchive's `bsdtar` and 7-Zip. A missing
 * tool is reported, once, with the Debian package that provides it (.ci/run
 * installs them), and its check is skipped.
 *
 * @module
 */

/** A tool, the Debian package it comes from, and its command line for an archive. */
export interface ZipTool {
  name: string;
  debian: string;
  /** The command line that tests (or lists) `archive`. */
  command(archive: string): string[];
}

/** The Python that checks an archive: testzip() reads every entry and checks its CRC. */
const PYTHON_TESTZIP = `
import sys, zipfile, json
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    print(json.dumps({"bad": bad, "entries": [[i.filename, i.file_size, i.CRC, list(i.date_time)] for i in z.infolist()]}))
`;

/** Checks that read every byte of every entry and verify its CRC-32. */
export const TESTERS: ZipTool[] = [
  { name: "unzip", debian: "unzip", command: (a) => ["unzip", "-t", a] },
  { name: "python3", debian: "python3", command: (a) => ["python3", "-c", PYTHON_TESTZIP, a] },
  { name: "bsdtar", debian: "libarchive-tools", command: (a) => ["bsdtar", "-tvf", a] },
  { name: "7zz", debian: "7zip", command: (a) => ["7zz", "t", a] },
];

/** Listings, which read only the central directory (for the sparse ZIP64 archive). */
export const LISTERS: ZipTool[] = [
  { name: "unzip", debian: "unzip", command: (a) => ["unzip", "-l", a] },
  { name: "bsdtar", debian: "libarchive-tools", command: (a) => ["bsdtar", "-tvf", a] },
  { name: "7zz", debian: "7zip", command: (a) => ["7zz", "l", a] },
];

const reported = new Set<string>();

/** The result of a run, or undefined (with the reason printed once) when the tool is missing. */
export async function runTool(
  tool: ZipTool,
  archive: string,
): Promise<{ code: number; stdout: string; stderr: string } | undefined> {
  const [cmd, ...args] = tool.command(archive);
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (!reported.has(tool.name)) {
      reported.add(tool.name);
      console.warn(
        `zip tests: ${tool.name} skipped, not installed (apt-get install ${tool.debian})`,
      );
    }
    return undefined;
  }
}
