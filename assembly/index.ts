// Entry file: exports only. Built twice by scripts/build-wasm.mjs, with and without SIMD;
// ASC_FEATURE_SIMD picks the kernels' wide paths at compile time.
export { maskUnsafe } from "./mask";
export { validateUtf8Unsafe } from "./utf8";
export { HEADER_OUT, parseHeaderUnsafe, writeHeaderUnsafe, headerLengthOf } from "./header";
export { scanFramesUnsafe } from "./scan";
export { MAX_RECORDS, scanStatePtr, recordsPtr, arenaPtr } from "./layout";

/** 1 when this build uses v128 SIMD. */
export const HAS_SIMD: i32 = ASC_FEATURE_SIMD ? 1 : 0;
