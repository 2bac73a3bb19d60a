// How the CLI prints: aligned tables for people (`-c/--column` picks columns), JSON for scripts
// (`-o json` or `--json`). Only results go to stdout; progress and warnings go to stderr.
export type Out = { write(text: string): void };

type Cell = string | number | boolean | null | undefined;

/** Columns of a table: header → the cell of a row. The first ones listed are the default. */
export type Columns<T> = Record<string, (row: T) => Cell>;

export class ColumnError extends Error {}

export function table(out: Out, headers: string[], rows: Cell[][]): void {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  out.write(`${line(headers)}\n`);
  for (const row of cells) out.write(`${line(row)}\n`);
}

export function json(out: Out, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as a table of the chosen columns (all of `columns` when none are chosen). */
export function columnsTable<T>(out: Out, columns: Columns<T>, rows: T[], chosen: string[] | undefined): void {
  const names = Object.keys(columns);
  const picked = chosen?.length
    ? chosen.map((wanted) => {
        const found = names.find((name) => name.toLowerCase() === wanted.trim().toLowerCase().replaceAll("-", " "));
        if (!found) throw new ColumnError(`unknown column "${wanted}"; columns: ${names.join(", ").toLowerCase()}`);
        return found;
      })
    : names;
  table(
    out,
    picked.map((name) => name.toUpperCase()),
    rows.map((row) => picked.map((name) => (columns[name] as (row: T) => Cell)(row))),
  );
}

export const tagText = (tags: { key: string; value: string }[]) => tags.map((t) => `${t.key}=${t.value}`).join(",");
export const names = (list: { name: string }[] | null | undefined) => (list ?? []).map((x) => x.name).join(",");
export const lower = (text: string | null | undefined) => text?.toLowerCase().replaceAll("_", "-");
