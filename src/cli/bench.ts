import { formatTable, runCases } from '../bench/harness';
import { headerCases, maskCases, READ_SHAPES, readPathCases, utf8Cases, type NamedCodec } from '../bench/codec-cases';
import { SIZES } from '../bench/inputs';
import { codecs } from '../codec/select';
import { js } from '../codec/js/index';
import { booleanFlag, parseArgs } from './args';

/** One line: how to call `wasmws bench`. */
export const BENCH_USAGE = 'wasmws bench [--quick]';

/** `wasmws bench`: the codec table, wasm vs js (and auto) per operation and size. */
export async function benchCommand(argv: string[]): Promise<number> {
  const quick = booleanFlag(parseArgs(argv, { booleans: ['quick'] }), 'quick', false);
  const timeMs = quick ? 50 : 200;
  const sizes = quick ? SIZES.filter(([, n]) => n <= 1 << 20) : SIZES;
  const named: NamedCodec[] = [{ impl: 'js', codec: js }];
  if (codecs.wasmError === null) named.push({ impl: 'wasm', codec: codecs.wasm }, { impl: 'auto', codec: codecs.auto });
  else console.log(`WASM unavailable (${codecs.wasmError.message}): js only`);
  console.log(`wasmws codec bench — ${runtimeName()}, ${process.arch}, SIMD ${codecs.wasm.simd && codecs.wasmError === null ? 'on' : 'off'}`);
  const cases = [
    ...maskCases(named, sizes),
    ...utf8Cases(named, sizes),
    ...headerCases(named),
    ...readPathCases(named, quick ? READ_SHAPES.filter(([, , n]) => n <= 1 << 20) : READ_SHAPES),
  ];
  const results = await runCases(cases, timeMs);
  console.log(formatTable(results, ['js']));
  return 0;
}

/** The JavaScript runtime, as a person would name it (Deno and Bun report a Node version in process.version). */
function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  return `Node ${process.version}`;
}
