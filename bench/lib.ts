// What every benchmark prints and how it summarises samples (bench/run.ts passes the lines through).

/** Writes one JSON result line for benchmark `bench`. */
export function resultLine(bench: string): (fields: Record<string, unknown>) => void {
  return (fields) => process.stdout.write(JSON.stringify({ bench, ...fields }) + '\n');
}

/** The q-quantile (0..1) of the samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
