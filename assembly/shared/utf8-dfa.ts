// Portable: valid AssemblyScript and valid TypeScript.
//
// The UTF-8 validator is a DFA over bytes, built from the well-formed byte sequences of
// Unicode 15, table 3-7. Both codecs expand `utf8Next` into the same 256-entry-per-state
// table at start-up, so they cannot disagree.
//
//   state 0  ACCEPT          between characters
//   state 1  REJECT          sticky
//   state 2  need 1 more     80..BF -> 0
//   state 3  need 2 more     80..BF -> 2
//   state 4  need 3 more     80..BF -> 3
//   state 5  after E0        A0..BF -> 2   (no overlongs)
//   state 6  after ED        80..9F -> 2   (no surrogates D800..DFFF)
//   state 7  after F0        90..BF -> 3   (no overlongs)
//   state 8  after F4        80..8F -> 3   (nothing above U+10FFFF)

export const UTF8_STATES: i32 = 9;

/** The state after `byte` in state `state`. */
export function utf8Next(state: i32, byte: i32): i32 {
  if (state == 1) return 1;
  if (state == 0) {
    if (byte < 0x80) return 0;
    if (byte < 0xc2) return 1; // stray continuation, or overlong C0/C1
    if (byte < 0xe0) return 2;
    if (byte == 0xe0) return 5;
    if (byte == 0xed) return 6;
    if (byte < 0xf0) return 3;
    if (byte == 0xf0) return 7;
    if (byte < 0xf4) return 4;
    if (byte == 0xf4) return 8;
    return 1; // F5..FF: never valid
  }
  let low: i32 = 0x80;
  let high: i32 = 0xbf;
  let next: i32 = 0; // state 2
  if (state == 3) next = 2;
  else if (state == 4) next = 3;
  else if (state == 5) { low = 0xa0; next = 2; }
  else if (state == 6) { high = 0x9f; next = 2; }
  else if (state == 7) { low = 0x90; next = 3; }
  else if (state == 8) { high = 0x8f; next = 3; }
  return byte >= low && byte <= high ? next : 1;
}
