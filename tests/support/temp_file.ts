/**
 * An open temp file for tests of bodies that own and close their file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeTempTree } from "./server.ts";

/** An open file over a temp copy of some bytes. */
export interface TempFile extends AsyncDisposable {
  file: Deno.FsFile;
}

/**
 * Writes `data` to a temp folder and opens it; `await using` removes both,
 * closing the file first if the code under test has not.
 */
export async function openTempFile(data: string | Uint8Array): Promise<TempFile> {
  const dir = await makeTempTree({ "data.bin": data });
  const file = await Deno.open(`${dir}/data.bin`);
  return {
    file,
    async [Symbol.asyncDispose]() {
      try {
        file.close();
      } catch {
        // The body closed it, as it should.
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Fails unless `file` is closed already. */
export function assertClosed(file: Deno.FsFile): void {
  assert.throws(() => file.close(), Deno.errors.BadResource, "the file is still open");
}
