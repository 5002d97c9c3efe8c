/**
 * Comma-separated values as PostgREST writes them in `in.(…)` lists and
 * `or=(…)` groups, and as Sluice writes resume tokens: a value is bare, or in
 * double quotes with `\"` and `\\` inside, so it may hold commas and
 * parentheses. The one syntax for every list keeps what a client writes the
 * same everywhere.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

/** One value of a list, and whether it was quoted (a quoted `null` is text). */
export interface ListItem {
  text: string;
  quoted: boolean;
}

/**
 * Splits a list at the commas outside quotes and parentheses (parentheses
 * matter only in `or=(…)` groups, whose items may be `in.(…)` lists).
 *
 * @param text The list, without its own parentheses.
 * @param what What the list is, for messages (`"in" list`).
 * @param raw Keep each item's text as written (an `or=(…)` group's conditions). @default false
 * @returns The items; unless `raw`, a quoted item's quotes and escapes are undone.
 * @throws {HttpError} 400 for an unclosed quote or parenthesis, or text after a closing quote.
 * @example
 * ```ts
 * splitList('a,"b,c",d', "list"); // [{text:"a",quoted:false},{text:"b,c",quoted:true},{text:"d",quoted:false}]
 * ```
 */
export function splitList(text: string, what: string, raw = false): ListItem[] {
  const items: ListItem[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"' && !raw) {
      const { value, end } = readQuoted(text, i, what);
      if (end < text.length && text[end] !== ",") {
        throw new HttpError(400, `${what}: text after a closing quote at ${end + 1}`);
      }
      items.push({ text: value, quoted: true });
      i = end;
    } else {
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        const c = text[j];
        if (c === '"') j = readQuoted(text, j, what).end - 1;
        else if (c === "(") depth++;
        else if (c === ")") depth--;
        else if (c === "," && depth === 0) break;
        if (depth < 0) throw new HttpError(400, `${what}: unbalanced ")" at ${j + 1}`);
      }
      if (depth !== 0) throw new HttpError(400, `${what}: unclosed "("`);
      items.push({ text: text.slice(i, j), quoted: false });
      i = j;
    }
    if (i >= text.length) return items;
    i++; // the comma
  }
}

/**
 * Reads a double-quoted value starting at `start`.
 *
 * @returns The value and the index just past its closing quote.
 */
export function readQuoted(text: string, start: number, what: string): {
  value: string;
  end: number;
} {
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) value += text[++i];
    else if (c === '"') return { value, end: i + 1 };
    else value += c;
  }
  throw new HttpError(400, `${what}: unclosed double quote`);
}

/**
 * Writes a value for a list: bare when that reads back the same, else in
 * double quotes with `"` and `\` escaped. Empty text and the text `null` are
 * quoted, so that a bare `null` can only mean NULL.
 *
 * @param text The value.
 * @returns The list item.
 * @example
 * ```ts
 * quoteItem("a,b"); // '"a,b"'
 * quoteItem("plain"); // "plain"
 * ```
 */
export function quoteItem(text: string): string {
  if (text !== "" && text !== "null" && !/[",\\()]/.test(text)) return text;
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
