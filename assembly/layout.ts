import { SCAN_RECORD_FIELDS, SCAN_STATE_FIELDS } from "./shared/status";

// Linear memory, as the JavaScript side sees it (all static regions are 16-byte aligned):
//
//   0 ┌─────────────────────────────┐
//     │ static data (AS)            │  UTF-8 table (9 × 256 B), HEADER_OUT (16 B)
//     ├─────────────────────────────┤
//     │ SCAN_STATE   13 × f64       │  one scan's state, copied in and out per call
//     ├─────────────────────────────┤
//     │ RECORDS      1024 × 5 × f64 │  scan output (40 KiB)
//     ├─────────────────────────────┤ ← __heap_base, rounded up to 16 = arenaPtr()
//     │ ARENA                       │  bytes to scan, mask or validate: the reader copies
//     │   … grows (memory.grow from │  each socket chunk here once; the public ops copy
//     │   JavaScript) as needed     │  their input here when it is not already inside
//     └─────────────────────────────┘
//
// Nothing in the WASM allocates: the runtime is `stub` and no kernel calls `new`.

/** Records the scan may write per call. */
export const MAX_RECORDS: i32 = 1024;

const SCAN_STATE: usize = memory.data(SCAN_STATE_FIELDS << 3, 16);
const RECORDS: usize = memory.data(MAX_RECORDS * (SCAN_RECORD_FIELDS << 3), 16);

/** Start of the scan state region. */
export function scanStatePtr(): usize { return SCAN_STATE; }
/** Start of the records region. */
export function recordsPtr(): usize { return RECORDS; }
/** Start of the arena: everything from here to the end of memory is the JavaScript side's. */
export function arenaPtr(): usize { return (__heap_base + 15) & ~usize(15); }
