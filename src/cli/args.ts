/** Parsed command-line arguments: positionals, and --flags with values (repeatable). */
export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

/**
 * A small argv parser: `--name value`, `--name=value`, `-H value`, and boolean `--name` /
 * `--no-name` for names listed in `booleans`.
 */
export function parseArgs(argv: string[], booleans: readonly string[] = []): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2);
    if (booleans.includes(rawName)) { add(rawName, 'true'); continue; }
    if (rawName.startsWith('no-') && booleans.includes(rawName.slice(3))) { add(rawName.slice(3), 'false'); continue; }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    add(rawName, value);
  }
  return { positional, flags };
}

/** The last value of a flag, or `fallback`. */
export function flag(args: Args, name: string, fallback: string): string;
export function flag(args: Args, name: string): string | undefined;
export function flag(args: Args, name: string, fallback?: string): string | undefined {
  return args.flags.get(name)?.at(-1) ?? fallback;
}
