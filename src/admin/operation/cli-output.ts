// Small text renderers for the CLI's human output: aligned tables and key/value blocks.

export interface Output {
  /** A line on standard output (the result). */
  out(line: string): void;
  /** A line on standard error (notes, warnings). */
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/**
 * A stored value on one line: a line break or tab inside a free-text field (a note, a plan) is shown
 * escaped, so no value can end its row and print one an admin did not record.
 */
const oneLine = (text: string) => text.replace(/[\r\n\t]/g, (char) => (char === '\n' ? '\\n' : char === '\r' ? '\\r' : '\\t'));

const width = (text: string) => [...text].length;
const pad = (text: string, to: number) => text + ' '.repeat(Math.max(0, to - width(text)));

/** Renders rows under upper-case headers, columns separated by two spaces. */
export function table(headers: readonly string[], values: readonly (readonly string[])[]): string[] {
  const rows = values.map((row) => row.map(oneLine));
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)];
}

/** Renders `label  value` lines; a value list continues on following lines under the first. */
export function keyValues(entries: readonly (readonly [string, string | readonly string[]])[]): string[] {
  const labelWidth = Math.max(...entries.map(([label]) => width(label)));
  const lines: string[] = [];
  for (const [label, value] of entries) {
    const values = (typeof value === 'string' ? [value] : value.length > 0 ? value : ['-']).map(oneLine);
    values.forEach((item, index) => lines.push(`${pad(index === 0 ? label : '', labelWidth)}  ${item}`.trimEnd()));
  }
  return lines;
}

export const orDash = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? '-' : value);
export const yesNo = (value: boolean) => (value ? 'yes' : 'no');
