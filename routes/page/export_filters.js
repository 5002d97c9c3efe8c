/**
 * The export form's filter builder and order picker: rows of column /
 * operator / value (operators offered by the column's type) and rows of
 * column / direction / nulls, read into an export plan's `filters` and
 * `order`. export_panel.js owns the rest of the form; page_logic.js turns
 * the plan into the URL.
 *
 * @module
 */

import { $, h } from "./dom.js";
import { checkFilter, OPERATOR_LABELS, operatorsFor, typeFamily } from "./page_logic.js";

/** The table the rows were built for. */
let table;

/** What the value box suggests, by operator, then by the column's kind of values. */
const PLACEHOLDERS = {
  in: "1, 2, 3",
  like: "text* (* is any text)",
  ilike: "text* (* is any text)",
  integer: "10",
  real: "9.99",
  timestamp: "2026-01-01T00:00:00Z",
  other: "value",
  blob: "base64",
  text: "text",
};

/** The type the table index gives for a column (undefined: unknown, every operator offered). */
function typeOf(column) {
  return table?.types?.[column];
}

function columnOptions(selected) {
  return (table?.columns ?? []).map((name) =>
    h("option", { value: name, selected: name === selected }, name)
  );
}

/** Says the form changed, so the URL shown follows a removed or added row too. */
function changed() {
  const key = table?.key;
  $("export-order-key").textContent = key === undefined || key === null
    ? ""
    : $("export-order-rows").children.length === 0
    ? `by ${key} (the key)`
    : `then by ${key}, so the order is total`;
  $("export-form").dispatchEvent(new Event("change"));
}

/** Offers the operators the column's type allows, keeping the chosen one when it still applies. */
function offerOperators(row) {
  const op = row.querySelector(".filter-op");
  const column = row.querySelector(".filter-column").value;
  const previous = op.value;
  const ops = operatorsFor(typeOf(column));
  op.replaceChildren(
    ...ops.map((name) =>
      h("option", { value: name, selected: name === previous }, OPERATOR_LABELS[name])
    ),
  );
  showValue(row);
}

/** `is` takes null or notnull from a list; every other operator a typed value. */
function showValue(row) {
  const op = row.querySelector(".filter-op").value;
  const value = row.querySelector(".filter-value");
  const nulls = row.querySelector(".filter-null");
  value.hidden = op === "is";
  nulls.hidden = op !== "is";
  const kind = typeFamily(typeOf(row.querySelector(".filter-column").value));
  value.placeholder = PLACEHOLDERS[op] ?? PLACEHOLDERS[kind] ?? "value";
}

function addFilter() {
  const row = h(
    "div",
    { class: "builder-row filter-row" },
    h("select", { class: "filter-column", "aria-label": "Filter column" }, ...columnOptions()),
    h(
      "label",
      { class: "option", title: "Keep the rows where this does not hold (not.)" },
      h("input", { type: "checkbox", class: "filter-not" }),
      "not",
    ),
    h("select", { class: "filter-op", "aria-label": "Operator" }),
    h("input", { type: "text", class: "filter-value", "aria-label": "Value" }),
    h(
      "select",
      { class: "filter-null", "aria-label": "Null or not", hidden: true },
      h("option", { value: "null" }, "null"),
      h("option", { value: "notnull" }, "not null"),
    ),
    h("button", {
      type: "button",
      class: "small remove",
      "aria-label": "Remove this filter",
      onclick: () => {
        row.remove();
        changed();
      },
    }, "×"),
  );
  row.querySelector(".filter-column").addEventListener("change", () => offerOperators(row));
  row.querySelector(".filter-op").addEventListener("change", () => showValue(row));
  $("export-filter-rows").append(row);
  offerOperators(row);
  changed();
  return row;
}

function addOrder() {
  const row = h(
    "div",
    { class: "builder-row order-row" },
    h("select", { class: "order-column", "aria-label": "Order column" }, ...columnOptions()),
    h(
      "select",
      { class: "order-direction", "aria-label": "Direction" },
      h("option", { value: "asc" }, "ascending"),
      h("option", { value: "desc" }, "descending"),
    ),
    h(
      "select",
      { class: "order-nulls", "aria-label": "Nulls" },
      h("option", { value: "" }, "nulls: default"),
      h("option", { value: "nullsfirst" }, "nulls first"),
      h("option", { value: "nullslast" }, "nulls last"),
    ),
    h("button", {
      type: "button",
      class: "small remove",
      "aria-label": "Remove this order column",
      onclick: () => {
        row.remove();
        changed();
      },
    }, "×"),
  );
  $("export-order-rows").append(row);
  changed();
  return row;
}

/**
 * Empties both builders for another table, and says which key ends every order.
 *
 * @param {object | undefined} info The table as the index lists it.
 */
export function showBuilder(info) {
  table = info;
  $("export-filter-rows").replaceChildren();
  $("export-order-rows").replaceChildren();
  changed();
}

/**
 * The filters and order the builders describe.
 *
 * @returns {{ filters: import("./page_logic.js").ExportFilter[],
 *   order: import("./page_logic.js").OrderTerm[] } | string} Or what is wrong.
 */
export function readBuilder() {
  const filters = [];
  for (const row of $("export-filter-rows").querySelectorAll(".filter-row")) {
    const op = row.querySelector(".filter-op").value;
    const filter = {
      column: row.querySelector(".filter-column").value,
      op,
      not: row.querySelector(".filter-not").checked,
      value: op === "is"
        ? row.querySelector(".filter-null").value
        : row.querySelector(".filter-value").value,
    };
    const problem = checkFilter(filter);
    if (problem !== undefined) return problem;
    filters.push(filter);
  }
  const order = [...$("export-order-rows").querySelectorAll(".order-row")].map((row) => {
    const nulls = row.querySelector(".order-nulls").value;
    return {
      column: row.querySelector(".order-column").value,
      direction: row.querySelector(".order-direction").value,
      nulls: nulls === "" ? undefined : nulls,
    };
  });
  return { filters, order };
}

/** Wires the two "Add" buttons. */
export function startBuilder() {
  $("export-add-filter").addEventListener("click", addFilter);
  $("export-add-order").addEventListener("click", addOrder);
}
