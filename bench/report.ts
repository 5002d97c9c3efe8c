/**
 * Turns the sections' rows into the printed table, the ratios and the goals.
 *
 * @module
 */

import type { Goal, Row } from "./section.ts";

/** How a goal came out. */
export interface GoalResult {
  row: Row;
  goal: Goal;
  /** The ratio, oriented so that more is better; undefined when a server was not run. */
  ratio?: number;
  met?: boolean;
}

/** `subject/against`, turned over for rows where lower is better. */
function orientedRatio(row: Row, subject: string, against: string): number | undefined {
  const a = row.values[subject], b = row.values[against];
  if (a === undefined || b === undefined || a === 0 || b === 0) return undefined;
  return row.higherIsBetter ? a / b : b / a;
}

/**
 * Judges every goal of every row.
 *
 * @param rows The rows.
 * @returns One result per goal.
 */
export function judgeGoals(rows: Row[]): GoalResult[] {
  return rows.flatMap((row) =>
    (row.goals ?? []).map((goal) => {
      const ratio = orientedRatio(row, goal.subject ?? "sluice", goal.against);
      return { row, goal, ratio, met: ratio === undefined ? undefined : ratio >= goal.atLeast };
    })
  );
}

function formatValue(value: number | undefined): string {
  if (value === undefined) return "-";
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

function formatTable(header: string[], body: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  // Text columns (the first three) align left, figures right.
  const line = (cells: string[]) =>
    cells.map((c, i) => i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
}

/**
 * Formats the rows as a table with a `sluice/<server>` ratio column for each
 * other server, then the notes and the goals.
 *
 * @param rows The rows, in the order measured.
 * @returns The lines to print.
 */
export function formatReport(rows: Row[]): string[] {
  const labels = [...new Set(["sluice", ...rows.flatMap((r) => Object.keys(r.values))])];
  const others = labels.filter((l) => l !== "sluice");
  const header = ["section", "measurement", "unit", ...labels, ...others.map((o) => `sluice/${o}`)];
  const body = rows.map((row) => [
    row.section ?? "",
    row.name,
    row.unit,
    ...labels.map((l) => formatValue(row.values[l])),
    ...others.map((o) => {
      const a = row.values.sluice, b = row.values[o];
      return a === undefined || b === undefined || b === 0 ? "-" : `${(a / b).toFixed(2)}x`;
    }),
  ]);
  const lines = formatTable(header, body);
  lines.push(
    "(ratios are sluice / other: above 1x is better for MB/s and req/s, worse for CPU and RSS)",
  );
  const notes = rows.filter((r) => r.note !== undefined);
  if (notes.length > 0) lines.push("", ...notes.map((r) => `${r.name}: ${r.note}`));
  const goals = judgeGoals(rows);
  if (goals.length > 0) {
    lines.push("", "Goals (from the issue):");
    for (const { row, goal, ratio, met } of goals) {
      const mark = met === undefined ? "[n/a]   " : met ? "[met]   " : "[MISSED]";
      const shown = ratio === undefined ? `no ${goal.against} figure` : `${ratio.toFixed(2)}x`;
      lines.push(
        `  ${mark} ${row.name}: ${goal.subject ?? "sluice"}/${goal.against} ${shown}` +
          ` (goal >= ${goal.atLeast.toFixed(2)}x)`,
      );
    }
  }
  return lines;
}
