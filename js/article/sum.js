'use strict';
// The article's second example: the host creates a one-page memory, passes it
// in as js.mem, writes two u32s through a Uint32Array and lets `sum` store
// their sum at byte 8.
//   node sum.js sum.wasm
const fs = require('fs');
const common = require('./common');

const bytes = new Uint8Array(fs.readFileSync(common.wasmPathFromArgs()));
const memory = new WebAssembly.Memory({ initial: 1 });

WebAssembly.instantiate(bytes, { js: { mem: memory } }).then(function (result) {
  const buffer = new Uint32Array(memory.buffer, 0, 3);
  buffer[0] = 7;
  buffer[1] = 4;
  const beforeSum = Array.from(buffer);
  result.instance.exports.sum();
  common.report('sum', [
    { step: 'before_sum', type: 'Uint32Array', value: beforeSum },
    { step: 'after_sum', type: 'Uint32Array', value: Array.from(buffer) }
  ]);
}).catch(common.fail);
