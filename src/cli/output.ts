// How the CLI prints: aligned tables for people, JSON for scripts.
export type Out = { write(text: string): void };

export function table(out: Out, headers: string[], rows: (string | number | null | undefined)[][]): void {
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

export const tagText = (tags: { key: string; value: string }[]) => tags.map((t) => `${t.key}=${t.value}`).join(",");
