// Every fenced TypeScript/JavaScript block in README.md and docs/ either runs, against the
// built package (dist/) on loopback, or is marked as a fragment with its reason on the line
// before the fence: `<!-- fragment: needs an Express app -->`. A block's ports are replaced
// by free ones, and a `console.log(...)   // "text"` comment is checked against its output.
import { describe, expect, it } from 'vitest';
import { codeBlocks, markdownFiles, strayFragmentMarkers, type CodeBlock } from './markdown';
import { freePort, runModule, toRunnableModule } from './snippet';

const RUNNABLE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const blocks = markdownFiles().flatMap((file) => codeBlocks(file)).filter((b) => RUNNABLE.has(b.lang));
const runnable = blocks.filter((b) => b.fragment === null);

/** The documented ports (`port: 9001`, `127.0.0.1:9001`) → free ones, so that blocks run side by side with anything. */
async function withFreePorts(code: string): Promise<string> {
  const ports = new Set<string>();
  for (const m of code.matchAll(/(?:port:\s*|(?:127\.0\.0\.1|localhost):)(\d{2,5})\b/g)) if (m[1] !== '0') ports.add(m[1]!);
  let out = code;
  for (const port of ports) out = out.replace(new RegExp(`\\b${port}\\b`, 'g'), String(await freePort()));
  return out;
}

/** What the block says it prints: `console.log(...);   // "hello"`. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/console\.log\(.*\/\/\s*"([^"]+)"/g)].map((m) => m[1]!);
}

const where = (b: CodeBlock): string => `${b.file}:${b.line}`;

describe('documentation code blocks', () => {
  it('finds the blocks (README.md and docs/ hold runnable ones)', () => {
    expect(runnable.some((b) => b.file === 'README.md')).toBe(true);
    expect(runnable.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThanOrEqual(3);
  });

  it('every fragment marker gives a reason and sits right before a fence', () => {
    for (const b of blocks) if (b.fragment !== null) expect(b.fragment, `${where(b)}: a fragment needs a reason`).not.toBe('');
    for (const file of markdownFiles()) expect(strayFragmentMarkers(file), `${file}: markers not before a fence`).toEqual([]);
  });

  it.each(runnable.map((b) => [where(b), b] as const))('%s runs', async (_where, block) => {
    const module = toRunnableModule(await withFreePorts(block.code), block.lang);
    const result = await runModule(where(block), module, 20_000);
    expect(result, `stderr:\n${result.stderr}`).toMatchObject({ code: 0, signal: null });
    for (const text of expectedOutput(block.code)) expect(result.stdout).toContain(text);
  }, 30_000);
});
