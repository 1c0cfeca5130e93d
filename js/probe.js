'use strict';
// Probes which WebAssembly features this runtime has, by trying them (never by
// version tables), and prints one JSON object. Runs on Node 14+, Deno and Bun.
var HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
var VOID_TYPE = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
var ONE_FUNC = [0x03, 0x02, 0x01, 0x00];
var ONE_PAGE = [0x05, 0x03, 0x01, 0x00, 0x01];

function module(sections) {
  return new Uint8Array(HEADER.concat.apply(HEADER, sections));
}

function validates(sections) {
  try { return WebAssembly.validate(module(sections)); } catch (error) { return false; }
}

function attempt(action) {
  try { return action(); } catch (error) { return false; }
}

function bigintAtBoundary() {
  return attempt(function () {
    var bytes = module([[0x01, 0x06, 0x01, 0x60, 0x01, 0x7e, 0x01, 0x7e], ONE_FUNC,
      [0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00], [0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b]]);
    var instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return instance.exports.f(BigInt(1)) === BigInt(1);
  });
}

function realSharedMemory() {
  return attempt(function () {
    var memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer &&
      validates([[0x05, 0x04, 0x01, 0x03, 0x01, 0x01]]);
  });
}

// How the JS API asks for a 64-bit memory: the standard {address: "i64"} with
// BigInt sizes, or the proposal's earlier {index: "i64"} with Numbers.
function memory64Shape(hasMemory64) {
  if (!hasMemory64) return null;
  if (attempt(function () { return !!new WebAssembly.Memory({ initial: BigInt(1), address: 'i64' }); })) return 'address';
  if (attempt(function () { return !!new WebAssembly.Memory({ initial: 1, index: 'i64' }); })) return 'index';
  return null;
}

function largestMemoryPages() {
  var sizes = [65536, 32768, 32767, 16384];
  for (var i = 0; i < sizes.length; i++) {
    if (attempt(function () { return !!new WebAssembly.Memory({ initial: sizes[i] }); })) return sizes[i];
  }
  return 0;
}

var features = {
  bigint_i64: bigintAtBoundary(),
  multi_value: validates([[0x01, 0x06, 0x01, 0x60, 0x00, 0x02, 0x7f, 0x7f], ONE_FUNC,
    [0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b]]),
  shared_memory: realSharedMemory(),
  bulk_memory: validates([VOID_TYPE, ONE_FUNC, ONE_PAGE,
    [0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00, 0x0b]]),
  sign_extension: validates([VOID_TYPE, ONE_FUNC, [0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xc0, 0x1a, 0x0b]]),
  sat_float_to_int: validates([VOID_TYPE, ONE_FUNC,
    [0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x43, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x1a, 0x0b]]),
  multi_memory: validates([[0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01]]),
  memory64: validates([[0x05, 0x03, 0x01, 0x04, 0x01]]),
  // a constant expression reading a module-defined global (WebAssembly 3.0 relaxes 2.0's imported-only rule)
  global_get_in_constants: validates([[0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b]]),
  // externref in a function type: references can cross the JS boundary
  reference_types: validates([[0x01, 0x05, 0x01, 0x60, 0x01, 0x6f, 0x00]]),
  resizable_buffers: typeof ArrayBuffer.prototype.resize === 'function' &&
    typeof WebAssembly.Memory.prototype.toResizableBuffer === 'function',
  max_memory_pages: largestMemoryPages()
};
features.memory64_js_api = memory64Shape(features.memory64);
process.stdout.write(JSON.stringify(features));
