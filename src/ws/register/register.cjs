'use strict';
// `node --require wasmws/ws/register app.js` (and the CommonJS half of --import): a require of `ws`
// anywhere in the process returns wasmws/ws. Only the bare name `ws` is switched: deep imports
// of ws's internals (ws/lib/...) keep resolving to the real package, if it is installed.
const Module = require('node:module');
const path = require('node:path');

const kSwitched = Symbol.for('wasmws.ws.register');
const target = path.join(__dirname, 'ws.cjs');

if (!Module[kSwitched]) {
  Module[kSwitched] = true;
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'ws' ? target : resolveFilename.call(this, request, ...rest);
  };
}
