import { Bench } from 'tinybench';

/** One timed operation: `run` performs `reps` operations on `bytes` bytes each. */
export interface BenchCase {
  /** What is measured: 'mask', 'utf8', 'read path', ... */
  group: string;
  /** Input size label, e.g. '64 KiB' or '16 × 32 B'. */
  size: string;
  /** Implementation: 'js', 'wasm', 'bufferutil', ... */
  impl: string;
  /** Payload bytes one operation processes (for GB/s). */
  bytes: number;
  /** Operations per call of `run`, so tiny operations are not lost in timer overhead. */
  reps: number;
  run: () => void;
}

/** A measured case. */
export interface BenchResult {
  group: string;
  size: string;
  impl: string;
  nsPerOp: number;
  gbPerSecond: number;
  samples: number;
  rmePercent: number;
}

/** Operations per call for a payload: enough to spend ~64 KiB of work per call, at least 1. */
export function repsFor(bytes: number): number {
  return Math.max(1, Math.min(4096, Math.floor(65536 / Math.max(bytes, 16))));
}

/**
 * Runs every case with tinybench, interleaved by group and size so that the implementations
 * being compared run under the same machine conditions.
 */
export async function runCases(cases: BenchCase[], timeMs = 200, log: (line: string) => void = () => {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const keys = [...new Set(cases.map((c) => `${c.group}\u0000${c.size}`))];
  for (const key of keys) {
    const group = cases.filter((c) => `${c.group}\u0000${c.size}` === key);
    const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 2) });
    for (const c of group) bench.add(c.impl, c.run);
    await bench.run();
    for (const c of group) {
      const task = bench.getTask(c.impl);
      const result = task?.result;
      if (!result || !('latency' in result)) throw new Error(`${c.group} ${c.size} ${c.impl}: no result`);
      const nsPerOp = (result.latency.mean * 1e6) / c.reps;
      results.push({
        group: c.group, size: c.size, impl: c.impl, nsPerOp,
        gbPerSecond: c.bytes / nsPerOp,
        samples: result.latency.samplesCount,
        rmePercent: result.latency.rme,
      });
    }
    log(`  ${group[0].group} ${group[0].size}: done`);
  }
  return results;
}

function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/**
 * A text table: one row per group and size, one column per implementation showing time per
 * operation (and GB/s), then each non-baseline implementation's speed as a multiple of each
 * baseline's (2.00× = twice as fast), measured in the same run.
 */
export function formatTable(results: BenchResult[], baselines: string[]): string {
  const impls = [...new Set(results.map((r) => r.impl))];
  const compared = impls.filter((i) => !baselines.includes(i));
  const bases = baselines.filter((b) => impls.includes(b));
  const rows: string[][] = [['group', 'size', ...impls, ...compared.flatMap((i) => bases.map((b) => `${i} vs ${b}`))]];
  const keys = [...new Set(results.map((r) => `${r.group}\u0000${r.size}`))];
  for (const key of keys) {
    const [group, size] = key.split('\u0000');
    const row = results.filter((r) => r.group === group && r.size === size);
    const byImpl = new Map(row.map((r) => [r.impl, r]));
    const cells = [group, size];
    for (const impl of impls) {
      const r = byImpl.get(impl);
      cells.push(r ? `${formatNs(r.nsPerOp)} (${r.gbPerSecond.toFixed(2)} GB/s)` : '-');
    }
    for (const impl of compared) {
      for (const base of bases) {
        const a = byImpl.get(impl);
        const b = byImpl.get(base);
        cells.push(a && b ? `${(b.nsPerOp / a.nsPerOp).toFixed(2)}×` : '-');
      }
    }
    rows.push(cells);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => cell.padEnd(widths[c])).join(' │ ');
    return i === 0 ? `${line}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}` : line;
  }).join('\n');
}
