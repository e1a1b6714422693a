// Every relative link in README.md, CONTRIBUTING.md, SECURITY.md, CHANGELOG.md and docs/
// resolves: the file (or directory) exists, and a #anchor names a heading of the target
// (GitHub's slugs). External links (http:, https:, mailto:) are not fetched.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, markdownFiles } from './markdown';
import { REPO } from './snippet';

/** [text](target) outside code, plus <a href>; code spans and fenced blocks are skipped. */
function links(file: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  let inFence = false;
  readFileSync(join(REPO, file), 'utf8').split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) { inFence = !inFence; return; }
    if (inFence) return;
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
    for (const m of line.matchAll(/href="([^"]+)"/g)) out.push({ line: i + 1, target: m[1]! });
  });
  return out;
}

/** Why a link does not resolve, or null. */
function problem(file: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null;
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
  if (resolved.startsWith('..')) return `${target} leaves the repository`;
  const full = join(REPO, resolved);
  if (!existsSync(full)) return `${target}: ${resolved} does not exist`;
  if (anchor === undefined || anchor === '') return null;
  if (statSync(full).isDirectory() || !resolved.endsWith('.md')) return `${target}: an anchor into a non-Markdown file`;
  return headingAnchors(resolved).has(anchor) ? null : `${target}: no heading #${anchor} in ${resolved}`;
}

describe('documentation links', () => {
  it('the slugs follow GitHub (punctuation dropped, spaces to hyphens)', () => {
    expect(headingAnchors('docs/security.md').has('options-and-defaults-server-upgrader-and-dial')).toBe(true);
    expect(headingAnchors('docs/scaling-out.md').has('scaling-out-topics-and-redis-wasmwshub')).toBe(true);
  });

  it.each(markdownFiles())('%s: every relative link and anchor resolves', (file) => {
    const broken = links(file).map(({ line, target }) => {
      const why = problem(file, target);
      return why && `${file}:${line}: ${why}`;
    }).filter((x): x is string => x !== null);
    expect(broken).toEqual([]);
  });

  it('finds links to check (and would catch a broken one)', () => {
    expect(links('README.md').length).toBeGreaterThan(10);
    expect(problem('README.md', 'docs/nope.md')).toMatch(/does not exist/);
    expect(problem('README.md', 'docs/security.md#nope')).toMatch(/no heading/);
  });
});
