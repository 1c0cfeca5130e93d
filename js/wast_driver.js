'use strict';
var decodeBase64 = require('./bytes').decodeBase64;
// Worker handler: runs the commands of a .wast script on this runtime, one
// request per command, keeping the script's instances between requests.
// Values cross the JS boundary as bit patterns through wrapper modules that
// linmem compiles (harness/wast/boundary.py): f32/f64 as i32/i64 bits, so NaN
// payloads survive, a v128 as two i64 halves; i64 values travel as decimal
// strings and become BigInt here.
var state = { current: null, named: {}, registered: {} };


// Runtimes without i64 <-> BigInt (Node 14) cannot give an i64 global a value.
function i64Global() {
  try {
    return new WebAssembly.Global({ value: 'i64' }, BigInt(666));
  } catch (error) {
    return new WebAssembly.Global({ value: 'i64' });
  }
}

// The reference interpreter's table64 (spectest.ml), on runtimes with 64-bit tables (memory64's JS API).
function table64() {
  try {
    return new WebAssembly.Table({ initial: BigInt(10), maximum: BigInt(20), element: 'anyfunc', address: 'i64' });
  } catch (error) {
    return undefined;
  }
}

function spectest() {
  var memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  var table = new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' });
  function print() {}
  var exports = {
    memory: memory, table: table,
    global_i32: new WebAssembly.Global({ value: 'i32' }, 666),
    global_i64: i64Global(),
    global_f32: new WebAssembly.Global({ value: 'f32' }, 666.6),
    global_f64: new WebAssembly.Global({ value: 'f64' }, 666.6),
    print: print, print_i32: print, print_i64: print, print_f32: print, print_f64: print,
    print_i32_f32: print, print_f64_f64: print
  };
  var wide = table64();
  if (wide) exports.table64 = wide;
  return exports;
}

function importsFor(module) {
  var imports = { spectest: spectest() };
  Object.keys(state.registered).forEach(function (name) {
    if (state.registered[name]) imports[name] = state.registered[name].exports;  // null: it never instantiated
  });
  WebAssembly.Module.imports(module).forEach(function (entry) {
    if (!imports[entry.module]) imports[entry.module] = {};
  });
  return imports;
}

function errorOf(error) {
  return { error: String(error && error.name), message: String(error && error.message) };
}

function instantiate(request) {
  try {
    var module = new WebAssembly.Module(decodeBase64(request.wasm_b64));
    if (request.compile_only) return { ok: true };
    var instance = new WebAssembly.Instance(module, importsFor(module));
    if (!request.check_only) {
      state.current = instance;
      if (request.name) state.named[request.name] = instance;
    }
    return { ok: true };
  } catch (error) {
    return errorOf(error);
  }
}

function register(request) {
  state.registered[request.as] = request.module ? state.named[request.module] : state.current;
  return { ok: true };
}

// Wrapper modules depend only on the signature: compile each once.
var wrappers = {};
function wrapperModule(base64) {
  if (!wrappers[base64]) wrappers[base64] = new WebAssembly.Module(decodeBase64(base64));
  return wrappers[base64];
}

// (ref.extern N) of the scripts: one object per N, so identity survives a round trip.
var externs = {};
function externOf(number) {
  if (!externs[number]) externs[number] = { linmemExtern: number };
  return externs[number];
}

function isReference(carrier) { return carrier === 'externref' || carrier === 'funcref'; }

function toArgument(arg) {
  if (isReference(arg.carrier)) return arg.ref === 'null' ? null : externOf(Number(arg.bits));
  if (arg.carrier === 'i64') return BigInt.asIntN(64, BigInt(arg.bits));
  return Number(BigInt.asIntN(32, BigInt(arg.bits)));
}

function fromResult(carrier, value) {
  if (isReference(carrier)) {
    if (value === null) return { ref: 'null' };
    if (typeof value === 'function') return { ref: 'func' };
    if (value && typeof value === 'object' && 'linmemExtern' in value) return { ref: 'extern', number: value.linmemExtern };
    return { ref: 'other', text: String(value) };
  }
  if (carrier === 'i64') return BigInt.asUintN(64, BigInt(value)).toString();
  return String((value >>> 0));
}

// A wrapper instance per export and signature, made once: it imports the export itself (a global as the
// Global object, whose value it reads at each call), so it serves every later call as a fresh one would.
var wrapperInstances = new WeakMap();
function wrapperFor(request, target) {
  var byWrapper = (target !== null && (typeof target === 'object' || typeof target === 'function'))
    ? wrapperInstances.get(target) : undefined;
  var wrapper = byWrapper && byWrapper.get(request.wrapper_b64);
  if (wrapper) return wrapper;
  // the wrapper imports the export (a function as t.f, a global as t.g) and reads it as bits
  var imports = request.kind === 'get' ? { t: { g: target } } : { t: { f: target } };
  wrapper = new WebAssembly.Instance(wrapperModule(request.wrapper_b64), imports);
  if (target !== null && (typeof target === 'object' || typeof target === 'function')) {
    if (!byWrapper) wrapperInstances.set(target, byWrapper = new Map());
    byWrapper.set(request.wrapper_b64, wrapper);
  }
  return wrapper;
}

function invoke(request) {
  var instance = request.module ? state.named[request.module] : state.current;
  try {
    var target = instance.exports[request.name];
    var wrapper = wrapperFor(request, target);
    var args = request.args.map(toArgument);
    var result = wrapper.exports.w.apply(null, args);
    var values = request.results.length === 1 ? [result] : (result || []);
    return { results: request.results.map(function (carrier, i) { return fromResult(carrier, values[i]); }) };
  } catch (error) {
    return errorOf(error);
  }
}

function reset() {
  state = { current: null, named: {}, registered: {} };
  return { ok: true };
}

module.exports = { wast_reset: reset, wast_module: instantiate, wast_register: register, wast_invoke: invoke };
