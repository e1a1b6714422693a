/**
 * Node's Buffer where the runtime has it as a global (Node, Bun; Deno gives npm code one
 * too). The frame layer keeps no node: import, so without it this is new Uint8Array.
 */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** At or above this size an uninitialized allocation is worth its call. */
const UNINITIALIZED_MIN_BYTES = 16 * 1024;

/**
 * A plain Uint8Array of `size` bytes whose contents the caller overwrites completely before
 * anyone reads them. Large ones skip zero-filling where the runtime allows it (zeroing a
 * 1 MiB message costs as much as copying it); elsewhere this is `new Uint8Array(size)`.
 */
export function allocForOverwrite(size: number): Uint8Array {
  if (NodeBuffer === undefined || size < UNINITIALIZED_MIN_BYTES) return new Uint8Array(size);
  const buffer = NodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}
