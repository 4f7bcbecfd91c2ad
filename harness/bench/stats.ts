// Summaries of repeated measurements: every figure the bench prints is
// min/median/max over runs, and targets are judged on the median.

export interface Summary {
  runs: number[];
  min: number;
  median: number;
  max: number;
}

export function summarize(runs: number[]): Summary {
  const s = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length === 0 ? Number.NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { runs, min: s[0] ?? Number.NaN, median, max: s.at(-1) ?? Number.NaN };
}

export function fmt(s: Summary, digits = 2, unit = ''): string {
  const f = (n: number) => `${n.toFixed(digits)}${unit}`;
  return `${f(s.median)} (min ${f(s.min)}, max ${f(s.max)}, n=${s.runs.length})`;
}

export interface Target {
  what: string;
  /** The measured value, as printed. */
  value: string;
  target: string;
  met: boolean;
  note?: string;
}
