// The integer type names of AssemblyScript, as plain numbers, so the portable files in
// assembly/shared/ compile as TypeScript too. Nothing outside assembly/shared/ uses them.
declare type i32 = number;
declare type u32 = number;
declare type u8 = number;
