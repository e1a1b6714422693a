// The integer type names of AssemblyScript, as plain numbers, so the portable files in
// assembly/shared/ compile as TypeScript too. Nothing outside assembly/shared/ uses them, and
// nothing the package exports may carry them: the published declarations have no such names
// (test/package/ type-checks them in a project without this file).
declare type i32 = number;
declare type u32 = number;
declare type u8 = number;
