import assert from "node:assert/strict";
import { escapeHtml } from "../../../lib/http/escape_html.ts";

Deno.test("escapeHtml() escapes the five characters that end text or an attribute", () => {
  assert.equal(escapeHtml(`<b>&'"`), "&#60;b&#62;&#38;&#39;&#34;");
  assert.equal(escapeHtml("plain ümlaut / text"), "plain ümlaut / text");
  assert.equal(escapeHtml("&#60;"), "&#38;#60;");
});
