/**
 * The page with access control on: it asks for a token once, keeps it in
 * sessionStorage (this tab only, gone when it closes) and sends it as
 * `Authorization: Bearer` on every fetch. What the browser fetches by itself
 * (players, download links) cannot send a header, so those URLs become
 * signed links from `POST /sign`. With access off nothing changes: no token,
 * no prompt, plain URLs.
 *
 * @module
 */

import { $, describeRefusal, say } from "./dom.js";

const KEY = "sluice-token";

/** The token this tab uses, or null. */
export function currentToken() {
  return sessionStorage.getItem(KEY);
}

/** `fetch` with the token; a 401 brings up the token prompt. */
export async function api(url, init = {}) {
  const token = currentToken();
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const res = await fetch(url, { ...init, headers });
  if (res.status === 401) askForToken(token !== null);
  return res;
}

/** Signed links for paths the browser will fetch itself; the paths as they are without a token. */
export async function signedLinks(paths) {
  if (currentToken() === null || paths.length === 0) return paths;
  const res = await api("/sign", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paths }),
  });
  if (!res.ok) throw new Error(`Cannot sign links: ${await describeRefusal(res)}`);
  return (await res.json()).links.map((link) => link.url);
}

/** One signed link. */
export async function signedLink(path) {
  return (await signedLinks([path]))[0];
}

/** Points every `a[data-path]` under `root` at its path, signed when a token is in use. */
export async function signAnchors(root) {
  const anchors = [...root.querySelectorAll("a[data-path]")];
  const hrefs = await signedLinks(anchors.map((a) => a.dataset.path));
  anchors.forEach((a, i) => a.setAttribute("href", hrefs[i]));
}

let asked = false;

/** Shows the token prompt (once), forgetting a token the server refused. */
function askForToken(refused) {
  if (asked) return;
  asked = true;
  if (refused) sessionStorage.removeItem(KEY);
  $("access").hidden = false;
  say(
    $("access-status"),
    refused
      ? "The server refused this token (unknown or revoked). Enter another."
      : "This server needs a token.",
    refused ? "error" : "",
  );
  $("access-token").focus();
}

/** Wires the prompt and the "forget" button. */
export function startAccess() {
  $("access").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("access-token").value.trim();
    if (token === "") return;
    sessionStorage.setItem(KEY, token);
    location.reload();
  });
  const forget = $("access-forget");
  forget.hidden = currentToken() === null;
  forget.addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  });
}
