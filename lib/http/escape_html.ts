/**
 * Text placed in HTML.
 *
 * @module
 */

/**
 * Escapes the five characters that could end a text node or an attribute
 * value (`&<>"'`) as numeric references, so a file or table named
 * `<script>` is only text.
 *
 * @param text Any text.
 * @returns The text, safe inside an element or a quoted attribute.
 * @example
 * ```ts
 * escapeHtml(`<b>&'"`); // "&#60;b&#62;&#38;&#39;&#34;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
