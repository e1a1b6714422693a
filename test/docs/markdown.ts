// Reads the documentation's Markdown: its files, its fenced code blocks (with the fragment
// marker on the line before a fence, if any) and its headings' GitHub-style anchors.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './snippet';

/** README.md, CONTRIBUTING.md, SECURITY.md, CHANGELOG.md and docs/*.md, relative to the repository. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', ...docs.sort()];
}

/** One fenced block. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The reason given by `<!-- fragment: reason -->` on the line before the fence, or null. */
  fragment: string | null;
}

const FENCE = /^(\s*)(```+)\s*([\w-]*)/;
const FRAGMENT = /^\s*<!--\s*fragment:\s*(.*?)\s*-->\s*$/;

/** Every fenced block of a file, dedented by its fence's indentation. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(ticks); j++) body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    const marker = i > 0 ? FRAGMENT.exec(lines[i - 1]!) : null;
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), code: body.join('\n'), fragment: marker ? marker[1]! : null });
    i = j;
  }
  return blocks;
}

/** Lines with a fragment marker that is not right before a fence (a marker that marks nothing). */
export function strayFragmentMarkers(file: string): number[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
  const stray: number[] = [];
  lines.forEach((line, i) => {
    if (FRAGMENT.test(line) && !FENCE.test(lines[i + 1] ?? '')) stray.push(i + 1);
  });
  return stray;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
export function headingAnchors(file: string): Set<string> {
  const text = readFileSync(join(REPO, file), 'utf8');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) { inFence = !inFence; continue; }
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
