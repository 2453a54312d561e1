/** A figure measured several times: its median and its spread. */
export interface Repeated {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** The median and spread of repeated measurements. */
export function repeated(runs: number[]): Repeated {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    runs,
  };
}

/** "median (min–max)" with the given digits. */
export function withSpread(figure: Repeated, digits = 2, unit = ''): string {
  const fixed = (value: number) => value.toFixed(digits);
  return figure.runs.length > 1
    ? `${fixed(figure.median)}${unit} (${fixed(figure.min)}–${fixed(figure.max)})`
    : `${fixed(figure.median)}${unit}`;
}
