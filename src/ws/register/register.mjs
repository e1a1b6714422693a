// `node --import wasmws/ws/register app.js`: every `ws` in the process resolves to wasmws/ws,
// for `import` (a module.register resolve hook) and for `require` (the CommonJS resolver),
// so packages that use ws inside themselves (y-websocket-server, webpack-dev-server) run on
// wasmws without editing node_modules.
import { createRequire, register } from 'node:module';

createRequire(import.meta.url)('./ws-register.cjs');
register('./ws-resolve.js', import.meta.url);
