/** Prints benchmark figures beside the targets of the issue; never fails a run (machines here are noisy). */

export function quantile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

export interface Figure {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

export function report(title: string, figures: Figure[]): void {
  const w = Math.max(...figures.map((f) => f.figure.length));
  const lines = [`\n${title}`];
  for (const f of figures) {
    lines.push(
      `  ${f.figure.padEnd(w)}  ${f.value.padStart(12)}   target ${f.target.padEnd(14)} ${f.met ? 'met' : 'NOT MET'}`,
    );
  }
  console.log(lines.join('\n'));
}
