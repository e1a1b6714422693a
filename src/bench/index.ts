// The benchmark kit shared by `wasmws bench` and bench/*.mjs (dist/bench.js, not a public
// export: its shape may change with the benchmarks).
export { formatTable, repsFor, runCases, type BenchCase, type BenchResult } from './harness';
export { clientFrames, randomBytes, SIZES, typicalText } from './inputs';
export { headerCases, maskCases, READ_SHAPES, readPathCases, utf8Cases, type NamedCodec } from './codec-cases';
export { codecs } from '../codec/select';
export { js } from '../codec/js/index';
export { FrameReader } from '../frame/reader';
