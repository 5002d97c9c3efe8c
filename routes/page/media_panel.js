/**
 * The media library: the folder listing from /media/, breadcrumbs, and the
 * preview beside it (players that seek by byte ranges, images, the start of a
 * text file).
 *
 * @module
 */

import { api, signAnchors, signedLink } from "./access.js";
import { $, describeRefusal, h, say } from "./dom.js";
import { followControls, stopFollowing } from "./follow_view.js";
import { formatBytes, mediaKind } from "./page_logic.js";

/** Text previews read only this much, with a Range request. */
const TEXT_PREVIEW_BYTES = 64 * 1024;

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const KIND_LABEL = { video: "Video", audio: "Audio", image: "Image", text: "Text", file: "File" };

/** The folder named in the address (`#/media/docs/`), percent-encoded as in URLs. */
function currentFolder() {
  const match = /^#\/media(\/.*)$/.exec(location.hash);
  return match !== null && match[1].endsWith("/") ? match[1] : "/";
}

async function showFolder(folder) {
  const status = $("media-status");
  say(status, "Loading…");
  let listing;
  try {
    const res = await api(`/media${folder}`, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(await describeRefusal(res));
    listing = await res.json();
  } catch (error) {
    say(status, `Cannot list this folder: ${error.message}`, "error");
    return;
  }
  showCrumbs(folder);
  const rows = listing.entries.map((entry) => fileRow(folder, entry));
  if (folder !== "/") {
    const up = folder.replace(/[^/]+\/$/, "");
    rows.unshift(
      h("tr", {}, h("td", { class: "name", colspan: 5 }, h("a", { href: `#/media${up}` }, "↑ Up"))),
    );
  }
  $("files").tBodies[0].replaceChildren(...rows);
  const files = listing.entries.filter((e) => e.type === "file").length;
  say(status, listing.entries.length === 0 ? "This folder is empty." : "");
  $("files").dataset.files = String(files);
  signAnchors($("files")).catch((error) => say(status, error.message, "error"));
  showZip(folder);
}

/**
 * Offers the folder as one ZIP with its size. A HEAD of `?zip` gives the
 * exact length without reading any file.
 */
async function showZip(folder) {
  const offer = $("media-zip");
  const url = `/media${folder}?zip`;
  offer.hidden = true;
  try {
    const res = await api(url, { method: "HEAD" });
    if (currentFolder() !== folder) return; // The user moved on.
    if (res.status === 413) {
      $("media-zip-link").removeAttribute("href");
      $("media-zip-size").textContent = "(too many files for one ZIP)";
    } else if (res.ok) {
      $("media-zip-link").href = url;
      $("media-zip-link").dataset.path = url;
      await signAnchors(offer);
      $("media-zip-size").textContent = formatBytes(Number(res.headers.get("content-length")));
    } else return;
    offer.hidden = false;
  } catch {
    // No offer: the listing itself said what went wrong, if anything did.
  }
}

function fileRow(folder, entry) {
  const url = `/media${folder}${entry.href}`;
  if (entry.type === "directory") {
    return h(
      "tr",
      {},
      h("td", { class: "name" }, h("a", { href: `#${url}` }, `${entry.name}/`)),
      h("td", { class: "kind" }, h("span", { class: "badge" }, "Folder")),
      h("td", { class: "num" }, "—"),
      h("td", { class: "when" }, entry.mtime ? DATE.format(new Date(entry.mtime)) : ""),
      h("td", {}),
    );
  }
  const kind = mediaKind(entry.name);
  const row = h(
    "tr",
    {},
    h(
      "td",
      { class: "name" },
      h("button", {
        type: "button",
        class: "link",
        onclick: () => showPreview(entry, url, row),
      }, entry.name),
    ),
    h("td", { class: "kind" }, h("span", { class: "badge" }, KIND_LABEL[kind])),
    h("td", { class: "num" }, formatBytes(entry.size)),
    h("td", { class: "when" }, entry.mtime ? DATE.format(new Date(entry.mtime)) : ""),
    h("td", { class: "num" }, downloadLink(url, entry.name)),
  );
  return row;
}

function downloadLink(url, name) {
  return h(
    "a",
    {
      href: `${url}?download`,
      "data-path": `${url}?download`,
      download: name,
      "aria-label": `Download ${name}`,
    },
    "Download",
  );
}

function showCrumbs(folder) {
  const parts = folder.split("/").filter(Boolean);
  const crumbs = [h("a", { href: "#/media/" }, "media")];
  parts.forEach((part, i) => {
    const href = `#/media/${parts.slice(0, i + 1).join("/")}/`;
    const name = decodeURIComponent(part);
    crumbs.push(" / ");
    crumbs.push(
      i === parts.length - 1 ? h("span", { "aria-current": "page" }, name) : h("a", { href }, name),
    );
  });
  $("crumbs").replaceChildren(...crumbs);
}

/** Stops a playing or loading element, so its connection closes now rather than at GC. */
function releaseMedia(container) {
  for (const media of container.querySelectorAll("video, audio")) {
    media.pause();
    media.removeAttribute("src");
    media.load();
  }
}

function showPreview(entry, url, row) {
  for (const other of $("files").querySelectorAll("tr[aria-current]")) {
    other.removeAttribute("aria-current");
  }
  row.setAttribute("aria-current", "true");
  const body = $("preview-body");
  releaseMedia(body);
  stopFollowing();
  const kind = mediaKind(entry.name);
  let view;
  // The players ask for byte ranges themselves: seeking fetches only what it needs.
  // They cannot send a token: with one, they get a signed link.
  if (kind === "video") {
    view = h("video", { controls: true, preload: "metadata", "aria-label": entry.name });
  } else if (kind === "audio") {
    view = h("audio", { controls: true, preload: "metadata", "aria-label": entry.name });
  } else if (kind === "image") {
    view = h("img", { alt: entry.name });
  } else if (kind === "text") {
    view = h("pre", { tabindex: 0, "aria-label": `Contents of ${entry.name}` }, "Loading…");
    loadText(url, view, entry.size);
  } else {
    view = h("p", { class: "hint" }, "No preview for this kind of file.");
  }
  body.replaceChildren(view);
  if (kind === "video" || kind === "audio" || kind === "image") {
    signedLink(url).then((src) => view.setAttribute("src", src)).catch((error) => {
      body.replaceChildren(h("p", { class: "hint" }, error.message));
    });
  }
  $("preview-caption").replaceChildren(
    h("strong", {}, entry.name),
    h("span", {}, `${formatBytes(entry.size)} · `, downloadLink(url, entry.name)),
    // A text file can be followed as it grows (a log being written).
    ...(kind === "text" ? followControls(url, view) : []),
  );
  signAnchors($("preview-caption")).catch(() => {});
}

async function loadText(url, pre, size) {
  try {
    const res = await api(url, { headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } });
    if (!res.ok) throw new Error(await describeRefusal(res));
    let text = await res.text();
    if (res.status === 206 && size > TEXT_PREVIEW_BYTES) {
      text += `\n… (the first ${formatBytes(TEXT_PREVIEW_BYTES)} of ${formatBytes(size)})`;
    }
    // Following started meanwhile: the live lines win.
    if (pre.dataset.follow === undefined) pre.textContent = text;
  } catch (error) {
    if (pre.dataset.follow === undefined) pre.textContent = `Cannot preview: ${error.message}`;
  }
}

/** Shows the folder in the address, now and whenever the address changes. */
export function startMediaPanel() {
  addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/media/")) showFolder(currentFolder());
  });
  showFolder(currentFolder());
}
