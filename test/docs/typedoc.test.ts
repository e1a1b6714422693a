// The API reference is complete: TypeDoc (typedoc.json: the package's four entry points,
// `notDocumented` validation, warnings as errors) finds no export without TSDoc and no
// broken link. Run with --emit none: the check, without writing docs/api/.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from './snippet';

it('typedoc: every export is documented (no warning, no error)', async () => {
  const result = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [join(REPO, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none', '--logLevel', 'Warn'], { cwd: REPO, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
  // eslint-disable-next-line no-control-regex
  const output = result.output.replace(/\x1b\[[0-9;]*m/g, '');
  expect(output).not.toMatch(/\[(warning|error)\]/);
  expect(result, output).toMatchObject({ code: 0 });
}, 130_000);
