/** Largest control frame payload. RFC 6455 §5.5. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/** Default limits, each with its unit in the name. Every one is an option. */
export const Defaults = {
  /** Largest message accepted (after inflation, with compression): 64 MiB. */
  maxMessageBytes: 64 * 1024 * 1024,
  /**
   * Most frames one message may span. Bounds the per-frame cost of a peer that sends a
   * message in one-byte (or empty) fragments; 131,072 leaves room for 4 MiB in 64-byte frames.
   */
  maxFragments: 131_072,
  /** Largest frame the writer produces before fragmenting a message: unlimited. */
  maxFrameBytes: Number.MAX_SAFE_INTEGER,
} as const;
