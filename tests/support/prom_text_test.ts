import assert from "node:assert/strict";
import { isUnobserved, parseMetrics, sampleValue } from "./prom_text.ts";

// The helper's own guarantees: a "zero" check elsewhere is only worth
// something if a sample that is not in the scrape fails instead of reading 0.
const SCRAPE = `# HELP x_total Things.
# TYPE x_total counter
x_total{route="media"} 3
# HELP y_active Active things.
# TYPE y_active gauge
y_active 0
`;

Deno.test("sampleValue() reads exact values, 0 included", () => {
  const families = parseMetrics(SCRAPE);
  assert.equal(sampleValue(families, "x_total", { route: "media" }), 3);
  assert.equal(sampleValue(families, "y_active"), 0);
});

Deno.test("sampleValue() fails for a sample missing from the scrape, never reads it as 0", () => {
  const families = parseMetrics(SCRAPE);
  assert.throws(() => sampleValue(families, "gone_total"), /No sample gone_total in the scrape/);
  assert.throws(
    () => sampleValue(families, "x_total", { route: "export" }),
    /No sample x_total\{route="export"\} in the scrape; the family has x_total\{route="media"\}/,
  );
});

Deno.test("isUnobserved() tells an unseen series from a missing family", () => {
  const families = parseMetrics(SCRAPE);
  assert.equal(isUnobserved(families, "x_total", { route: "export" }), true);
  assert.equal(isUnobserved(families, "x_total", { route: "media" }), false);
  assert.throws(() => isUnobserved(families, "gone_total", {}), /No metric family for gone_total/);
});

Deno.test("parseMetrics() refuses a line that is not a sample", () => {
  assert.throws(() => parseMetrics("# TYPE a gauge\na one\n"), SyntaxError);
  assert.throws(() => parseMetrics("b 1\n"), /Sample of no announced family/);
});
