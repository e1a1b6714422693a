// The module.register resolve hook behind wasmws/ws/register: importing `ws` gives wasmws/ws.
const target = new URL('./ws.js', import.meta.url).href;
const cjsTarget = new URL('./ws.cjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier !== 'ws') return next(specifier, context);
  // A CommonJS file loaded through the ESM loader may resolve here with require conditions.
  const required = context.conditions?.includes('require') && !context.conditions.includes('import');
  return { url: required ? cjsTarget : target, format: required ? 'commonjs' : 'module', shortCircuit: true };
}
