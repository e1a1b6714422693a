/** A command line the user got wrong: main prints it with the command's usage line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parsed command-line arguments: positionals, and --flags with values (repeatable). */
export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

/** The flags a command takes; anything else is a UsageError. */
export interface FlagSpec {
  /** Flags that take a value (`--name value`, `--name=value`, `-H value`); each may repeat. */
  values?: readonly string[];
  /** Flags without a value: `--name` is 'true', `--no-name` is 'false'. */
  booleans?: readonly string[];
  /** How many positional arguments the command takes (default 0). */
  positionals?: number;
}

/**
 * A strict argv parser: one-letter flags take one dash (`-H`), longer ones two (`--port`);
 * an unknown flag, a missing value or a positional too many is a UsageError. `--` ends flags.
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec = {}): Args {
  const values = spec.values ?? [];
  const booleans = spec.booleans ?? [];
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (flagsEnded || !arg.startsWith('-') || arg === '-') {
      if (positional.length >= (spec.positionals ?? 0)) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      positional.push(arg);
      continue;
    }
    if (arg === '--') { flagsEnded = true; continue; }
    const match = /^(?:-([A-Za-z])|--([A-Za-z][\w-]+))(?:=(.*))?$/s.exec(arg);
    const name = match?.[1] ?? match?.[2];
    const inline = match?.[3];
    if (name !== undefined && booleans.includes(name) && inline === undefined) { add(name, 'true'); continue; }
    if (name?.startsWith('no-') && booleans.includes(name.slice(3)) && inline === undefined) { add(name.slice(3), 'false'); continue; }
    if (name !== undefined && (booleans.includes(name) || (name.startsWith('no-') && booleans.includes(name.slice(3))))) {
      throw new UsageError(`${arg.split('=')[0]} takes no value`);
    }
    if (name === undefined || !values.includes(name)) throw new UsageError(`unknown flag ${arg.split('=')[0]}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    add(name, value);
  }
  return { positional, flags };
}

/** The last value of a flag, or `fallback`. */
export function flag(args: Args, name: string, fallback: string): string;
export function flag(args: Args, name: string): string | undefined;
export function flag(args: Args, name: string, fallback?: string): string | undefined {
  return args.flags.get(name)?.at(-1) ?? fallback;
}

/** A boolean flag's value (`--name` / `--no-name`), or `fallback`. */
export function booleanFlag(args: Args, name: string, fallback: boolean): boolean {
  const value = flag(args, name);
  return value === undefined ? fallback : value === 'true';
}

/** `--port`: an integer 0-65535 (0 picks a free port). */
export function portFlag(args: Args, fallback: number): number {
  const value = flag(args, 'port');
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`--port must be an integer 0-65535, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A flag whose value must be one of `choices`. */
export function choiceFlag<T extends string>(args: Args, name: string, choices: readonly T[], fallback: T): T {
  const value = flag(args, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be ${choices.join(', ')}; got ${JSON.stringify(value)}`);
  return value as T;
}

/** A flag that must not be empty (`--host`, `--agent`). */
export function nonEmptyFlag(args: Args, name: string, fallback: string): string {
  const value = flag(args, name, fallback);
  if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return value;
}

/** A URL argument whose scheme is one of `schemes` (e.g. ['ws:', 'wss:']). */
export function urlArgument(value: string, what: string, schemes: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} is not a URL: ${JSON.stringify(value)}`);
  }
  if (!schemes.includes(url.protocol)) throw new UsageError(`${what} must be ${schemes.map((s) => `${s}//`).join(' or ')}, got ${JSON.stringify(value)}`);
  return url;
}
