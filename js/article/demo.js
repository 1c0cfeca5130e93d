'use strict';
// The article's first example: instantiate a module that exports its memory,
// look at the first nine bytes through a Uint8Array and decode them as UTF-8.
//   node demo.js demo.wasm
const fs = require('fs');
const common = require('./common');

const bytes = new Uint8Array(fs.readFileSync(common.wasmPathFromArgs()));

WebAssembly.instantiate(bytes, {}).then(function (result) {
  const memory = result.instance.exports.memory;
  const text = new Uint8Array(memory.buffer, 0, 9);
  const decoded = new TextDecoder('utf8').decode(text);
  common.report('demo', [
    { step: 'bytes', type: 'Uint8Array', value: Array.from(text) },
    { step: 'text', type: 'string', value: decoded }
  ]);
}).catch(common.fail);
