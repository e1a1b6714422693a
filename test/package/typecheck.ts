import { relative } from 'node:path';
import ts from 'typescript';

/** What one consumer project's type check found. */
export interface TypeCheck {
  /** tsc-style diagnostics, one a line; '' when clean. */
  errors: string;
  /** The package's declaration files the program used, relative to node_modules/wasmws/dist/. */
  declarations: string[];
}

/**
 * Type-checks consumer projects as `tsc -p` would, in this process. Two differences, both
 * for speed: parsed files are shared between projects, and with skipLibCheck off only the
 * consumer's files and the package's declarations are checked file by file — not all of
 * @types/node, whose own correctness is not this package's to test (what the package uses
 * of it is checked through the package's files).
 */
export class ConsumerTypeChecker {
  private readonly parsed = new Map<string, ts.SourceFile | undefined>();

  constructor(private readonly dir: string) {}

  /** Checks `files` (relative to the project) under `compilerOptions` (tsconfig JSON form); emits them if `emit`. */
  check(compilerOptions: Record<string, unknown>, files: string[], emit = false): TypeCheck {
    const converted = ts.convertCompilerOptionsFromJson(compilerOptions, this.dir);
    const options = { ...converted.options, noEmit: !emit };
    const host = ts.createCompilerHost(options);
    const parse = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, language, onError, shouldCreate) => {
      const settings = typeof language === 'object' ? language : { languageVersion: language };
      const key = `${fileName}|${settings.languageVersion}|${settings.impliedNodeFormat}`;
      if (!this.parsed.has(key)) this.parsed.set(key, parse(fileName, language, onError, shouldCreate));
      return this.parsed.get(key);
    };
    const program = ts.createProgram({ rootNames: files.map((f) => `${this.dir}/${f}`), options, host });
    const own = program.getSourceFiles().filter((sf) => !sf.fileName.includes('/node_modules/') || sf.fileName.includes('/node_modules/wasmws/'));
    const diagnostics = [
      ...converted.errors,
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...own.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
    ];
    if (emit && diagnostics.length === 0) diagnostics.push(...program.emit().diagnostics);
    const format: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => this.dir, getNewLine: () => '\n' };
    const dist = `${this.dir}/node_modules/wasmws/dist`;
    return {
      errors: ts.formatDiagnostics(diagnostics, format).trim(),
      declarations: own.filter((sf) => sf.fileName.startsWith(dist)).map((sf) => relative(dist, sf.fileName)).sort(),
    };
  }
}
