/**
 * Scopes: what a token may do. A token carries a list such as
 * `media:/films export:items,orders sign`; a route asks for one scope and,
 * where a scope can be narrowed, the resource a request touches.
 *
 * @module
 */

/** One scope a token holds. */
export type Scope =
  | { kind: "*" }
  | { kind: "media"; folders?: string[] }
  | { kind: "export"; tables?: string[] }
  | { kind: "jobs" | "metrics" | "sign" };

/** What a request needs: a scope name, and for `media`/`export` the file path or table. */
export interface Need {
  scope: string;
  /** `/films/a.mp4` for media, `items` for export; undefined needs the whole scope. */
  resource?: string;
}

const PLAIN = new Set(["jobs", "metrics", "sign", "*"]);
/** A folder as scopes name it: absolute, no empty, `.` or `..` segment. */
const FOLDER = /^\/(?:(?!\.\.?(?:\/|$))[^/\0]+\/?)*$/;

/**
 * Parses one scope word.
 *
 * @param word Such as `media`, `media:/sub/folder`, `export:items,orders` or `*`.
 * @returns The scope.
 * @throws {SyntaxError} When the word is not a scope.
 * @example
 * ```ts
 * parseScope("export:items,orders"); // { kind: "export", tables: ["items", "orders"] }
 * ```
 */
export function parseScope(word: string): Scope {
  const colon = word.indexOf(":");
  const name = colon === -1 ? word : word.slice(0, colon);
  const rest = colon === -1 ? undefined : word.slice(colon + 1);
  if (rest === undefined && PLAIN.has(name)) return { kind: name as "jobs" };
  if (name === "media") {
    if (rest === undefined) return { kind: "media" };
    const folders = rest.split(",");
    if (folders.every((f) => FOLDER.test(f))) {
      // `/` is the whole folder; `/films/` and `/films` are the same folder.
      return { kind: "media", folders: folders.map((f) => f.replace(/\/+$/, "")) };
    }
  }
  if (name === "export") {
    if (rest === undefined) return { kind: "export" };
    const tables = rest.split(",");
    if (tables.every((t) => t !== "")) return { kind: "export", tables };
  }
  throw new SyntaxError(
    `Cannot parse scope "${word}": use media, media:/folder, export, export:table,table, ` +
      "jobs, metrics, sign or *",
  );
}

/**
 * Parses the scope words of a token.
 *
 * @param words Scope words, each as {@linkcode parseScope} takes.
 * @returns The scopes.
 */
export function parseScopes(words: readonly string[]): Scope[] {
  if (words.length === 0) throw new SyntaxError("A token needs at least one scope");
  return words.map(parseScope);
}

/**
 * Whether a token's scopes cover a need.
 *
 * @param scopes The token's scopes.
 * @param need What the request needs.
 * @returns True when one scope covers it.
 * @example
 * ```ts
 * allows([parseScope("media:/films")], { scope: "media", resource: "/films/a.mp4" }); // true
 * ```
 */
export function allows(scopes: readonly Scope[], need: Need): boolean {
  return scopes.some((scope) => {
    if (scope.kind === "*") return true;
    if (scope.kind !== need.scope) return false;
    if (scope.kind === "media" && scope.folders !== undefined) {
      const path = need.resource;
      return path !== undefined &&
        scope.folders.some((f) => f === "" || path === f || path.startsWith(`${f}/`));
    }
    if (scope.kind === "export" && scope.tables !== undefined) {
      return need.resource !== undefined && scope.tables.includes(need.resource);
    }
    return true;
  });
}
