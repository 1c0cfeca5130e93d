'use strict';
var decodeBase64 = require('./bytes').decodeBase64;
var encodeBase64 = require('./bytes').encodeBase64;
var expressions = require('./expressions');
// Worker handler: runs one scenario (format v1) per request and reports every
// step's observation as lossless JSON. Plain ECMAScript with no dependencies,
// so that the oldest runtime in the matrix runs it unchanged.
//
// request: {op: "scenario", modules: [{name, wasm_b64?, wasm_key?, text_memory}], imports: [declaration...],
//           wasi: config | null, multi: bool, memory64_js_api: "address" | "index" | null,
//           steps: [{op, ...keys, instance, memory, name_as, param_types?, result_types?}]}
// (harness/scenarios/on_runtime.py builds it; harness/scenarios/on_model.py is the model's twin.)
// answer:  {instantiate: null | error, steps: [observation, ...]}
// An error observation is {error: name, message}; linmem adds the trap kind.
// A read of COMPACT_MIN elements or more is sent as its bytes, {$elements: view, base64}
// (harness/values/elements.py), never as an array: Array.from of a huge view would
// hit the engine's array length limit and the JSON would be ten times the bytes.

var COMPACT_MIN = 4096;
var SPECIAL_NUMBERS = { 'NaN': NaN, 'Infinity': Infinity, '-Infinity': -Infinity, '-0': -0 };

function encodeNumber(value) {
  if (value !== value) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0 && 1 / value < 0) return '-0';
  return value;
}

function encodeValue(value) {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return encodeNumber(value);
  return value;
}

function decodeNumber(value) {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(SPECIAL_NUMBERS, value)) {
    return SPECIAL_NUMBERS[value];
  }
  return value;
}

function isBigIntView(name) { return name === 'BigInt64Array' || name === 'BigUint64Array'; }

// A page count as the JS API takes it (an AddressValue): {bigint: "N"} (harness/values/codec.py,
// encode_address_value) or a BigInt is a BigInt, for a 64-bit memory; anything else a Number. The
// memory64 proposal's earlier shape, {index: "i64"}, takes Numbers where the standard takes BigInts.
function addressValue(value, shape) {
  if (value !== null && typeof value === 'object') value = BigInt(value.bigint);
  if (typeof value === 'bigint') return shape === 'index' ? Number(value) : value;
  value = decodeNumber(value);
  return typeof value === 'string' ? Number(value) : value;
}

function decodeForView(viewName, values) {
  return values.map(function (value) {
    return isBigIntView(viewName) ? BigInt(value) : decodeNumber(value);
  });
}

function decodeArgument(type, value) {
  if (typeof value === 'bigint') return type === 'i64' ? value : Number(value);
  return type === 'i64' ? BigInt(value) : decodeNumber(value);
}

function viewConstructor(name) {
  var View = globalThis[name];
  if (typeof View !== 'function') throw new TypeError(name + ' is not a constructor');
  return View;
}

function errorObservation(error) {
  if (error && typeof error === 'object') return { error: String(error.name), message: String(error.message) };
  return { error: 'Error', message: String(error) };
}

var wasi = require('./wasi');
var isWasiExit = wasi.isWasiExit;
var createWasiHost = wasi.createWasiHost;

function Session(request) {
  this.request = request;
  this.instances = [];
  this.importObjects = [];
  this.hostValues = {};      // declared memories, globals, tables by "module.field"
  this.held = {};
  this.kept = {};            // buffers kept by `keep`
  this.values = {};          // named observations (`as`)
  this.log = [];             // recorded host calls
  this.wasi = request.wasi ? createWasiHost(request.wasi) : null;
  var session = this;
  request.imports.forEach(function (declared) {
    if (declared.from === undefined && declared.kind !== 'func') {
      session.hostValues[declared.module + '.' + declared.field] = hostValueFor(declared, request.memory64_js_api);
    }
  });
}

// new WebAssembly.Memory for a declared memory; a 64-bit one ({address: "i64"}) in the shape the
// runtime has: the standard's {address: "i64", initial: 1n}, or the proposal's {index: "i64", initial: 1}.
function memoryFor(declared, shape) {
  var options = { initial: addressValue(declared.initial, shape) };
  if (declared.maximum !== null && declared.maximum !== undefined) options.maximum = addressValue(declared.maximum, shape);
  if (declared.shared) options.shared = true;
  if (declared.address === 'i64') options[shape === 'index' ? 'index' : 'address'] = 'i64';
  return new WebAssembly.Memory(options);
}

function hostValueFor(declared, shape) {
  if (declared.kind === 'memory') return memoryFor(declared, shape);
  if (declared.kind === 'global') {
    return new WebAssembly.Global({ value: declared.type, mutable: declared.mutable },
      decodeArgument(declared.type, declared.value));
  }
  var descriptor = { element: declared.element, initial: declared.initial };
  if (declared.maximum !== null && declared.maximum !== undefined) descriptor.maximum = declared.maximum;
  return new WebAssembly.Table(descriptor);
}

// The import object of the module at `position`: earlier instances' exports under their
// names, WASI's functions, then every declared import (a fresh object per module, so
// host functions know which instance called them).
Session.prototype.importObject = function (position) {
  var session = this;
  var imports = {};
  this.request.modules.slice(0, position).forEach(function (source, earlier) {
    var namespace = imports[source.name] = imports[source.name] || {};
    var exports = session.instances[earlier].exports;
    Object.keys(exports).forEach(function (name) { namespace[name] = exports[name]; });
  });
  if (this.wasi) {
    ['wasi_snapshot_preview1', 'wasi_unstable'].forEach(function (name) {
      var namespace = imports[name] = imports[name] || {};
      Object.keys(session.wasi.imports).forEach(function (field) { namespace[field] = session.wasi.imports[field]; });
    });
  }
  this.request.imports.forEach(function (declared) {
    var namespace = imports[declared.module] = imports[declared.module] || {};
    namespace[declared.field] = session.declaredValue(position, declared);
  });
  return imports;
};

Session.prototype.declaredValue = function (position, declared) {
  var key = declared.module + '.' + declared.field;
  if (declared.from !== undefined) {
    var dot = declared.from.indexOf('.');
    var source = this.instancePosition(declared.from.slice(0, dot));
    return this.instances[source] ? this.instances[source].exports[declared.from.slice(dot + 1)] : undefined;
  }
  if (declared.kind !== 'func') return this.hostValues[key];
  return this.hostFunction(position, key, declared);
};

Session.prototype.instancePosition = function (name) {
  for (var i = 0; i < this.request.modules.length; i++) if (this.request.modules[i].name === name) return i;
  return -1;
};

Session.prototype.hostFunction = function (position, key, declared) {
  var session = this;
  var ErrorType = declared.throws === 'RuntimeError' ? WebAssembly.RuntimeError : globalThis[declared.throws];
  return function () {
    var args = Array.prototype.slice.call(arguments).map(encodeValue);
    if (declared.record) {
      var record = { import: key, args: args };
      if (declared.text && declared.text.length) {
        record.text = declared.text.map(function (spec) { return session.text(position, spec, args); });
      }
      session.log.push(record);
    }
    if (declared.throws) throw new ErrorType('thrown by the host import ' + key);
    var results = session.request.modules[position].import_results[key] || [];
    if (declared.returns === undefined || declared.returns === null) return undefined;
    if (results.length === 1) return decodeArgument(results[0], declared.returns[0]);
    return declared.returns.map(function (value, index) { return decodeArgument(results[index], value); });
  };
};

// The memory strings of a call from the instance at `position` are read from.
Session.prototype.instanceMemory = function (position) {
  var where = this.request.modules[position].text_memory;
  if (!where) return null;
  if (where.export !== undefined) {
    return this.instances[position] ? this.instances[position].exports[where.export] : null;
  }
  var namespace = this.importObjects[position] && this.importObjects[position][where.module];
  return namespace ? namespace[where.field] : null;
};

// An i64 pointer or length (a wasm64 module's) arrives as a BigInt's decimal string: Number() of it.
Session.prototype.text = function (position, spec, args) {
  var pointer = Number(args[spec.ptr]);
  var length = spec.len === null || spec.len === undefined ? undefined : Number(args[spec.len]);
  if (pointer === 0) return null;
  var memory = this.instanceMemory(position);
  if (!memory) return null;
  var buffer = memory.buffer;
  if (spec.format === 'cstring') {
    var tail = new Uint8Array(buffer, pointer);
    var end = tail.indexOf(0);
    return new TextDecoder('utf-8').decode(end < 0 ? tail : tail.subarray(0, end));
  }
  if (spec.format === 'utf-8') return new TextDecoder('utf-8').decode(new Uint8Array(buffer, pointer, length));
  if (spec.format === 'utf-16le') {
    return new TextDecoder('utf-16le').decode(new Uint8Array(buffer, pointer, 2 * length));
  }
  var size = new DataView(buffer).getUint32(pointer - 4, true);  // assemblyscript: byte length before the text
  return new TextDecoder('utf-16le').decode(new Uint8Array(buffer, pointer, size));
};

// Modules by the key linmem gives them (`wasm_key`, their bytes' SHA-256): a module's bytes come
// once per process, with the first request that uses it, and it is compiled once; later requests
// name it by its key alone. A module without a key comes with its bytes and is compiled every time.
var bytesByKey = {};
var compiledByKey = {};

function rememberBytes(source) {
  if (source.wasm_key !== undefined && source.wasm_b64 !== undefined && !bytesByKey[source.wasm_key]) {
    bytesByKey[source.wasm_key] = decodeBase64(source.wasm_b64);
  }
}

// A request that names a module this process has no bytes for is linmem's mistake: the request
// fails (an error of the run), it is not an observation.
function checkKnown(source) {
  if (source.wasm_key !== undefined && !bytesByKey[source.wasm_key]) {
    throw new Error('linmem sent no bytes for the module ' + source.wasm_key);
  }
}

function bytesOf(source) {
  return source.wasm_key === undefined ? decodeBase64(source.wasm_b64) : bytesByKey[source.wasm_key];
}

// WebAssembly.instantiate's result for the module `source`: its compiled WebAssembly.Module is kept
// by key and instantiated again. Bytes that do not compile go to instantiate(bytes) as before, so the
// CompileError (and its message) is the one a first compile gives.
function instantiateSource(source, imports) {
  var bytes = bytesOf(source);
  if (source.wasm_key === undefined) return WebAssembly.instantiate(bytes, imports);
  var compiled = compiledByKey[source.wasm_key];
  var module = compiled ? Promise.resolve(compiled) : WebAssembly.compile(bytes).then(function (made) {
    compiledByKey[source.wasm_key] = made;
    return made;
  }, function () { return null; });
  return module.then(function (made) {
    if (made === null) return WebAssembly.instantiate(bytes, imports);
    return WebAssembly.instantiate(made, imports).then(function (instance) { return { module: made, instance: instance }; });
  });
}

Session.prototype.instantiateAll = function () {
  var session = this;
  var chain = Promise.resolve();
  this.request.modules.forEach(function (source, position) {
    chain = chain.then(function () {
      var imports = session.importObjects[position] = session.importObject(position);
      return instantiateSource(source, imports).then(function (result) {
        session.instances.push(result.instance);
        if (session.wasi && source.imports_wasi && result.instance.exports.memory instanceof WebAssembly.Memory) {
          session.wasi.setMemory(result.instance.exports.memory);
        }
      }, function (error) {
        var observation = isWasiExit(error) ? { exit: error.code } : errorObservation(error);
        if (session.request.multi) observation.instance = source.name;
        throw { linmemInstantiation: observation };
      });
    });
  });
  return chain;
};

Session.prototype.memory = function (step) {
  var where = step.memory;
  if (!where) return undefined;
  if (where.import !== undefined) return this.hostValues[where.import];
  return this.instances[where.instance].exports[where.export];
};

Session.prototype.exports = function (step) { return this.instances[step.instance].exports; };

Session.prototype.write = function (step) {
  var View = viewConstructor(step.view);
  new View(this.memory(step).buffer, step.offset, step.values.length).set(decodeForView(step.view, step.values));
  return null;
};

// Array.from(view), or the view's bytes when it is large (the same elements, losslessly).
// A read too large for one string (V8: about 512 MiB of base64) is the engine's limit,
// as Array.from's "Invalid array length" would be: a RangeError that linmem judges unsupported.
function viewValues(view, viewName) {
  if (view.length < COMPACT_MIN) return Array.from(view).map(encodeValue);
  var text;
  try {
    text = encodeBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  } catch (error) {
    throw new RangeError('Invalid string length: the ' + view.byteLength + ' bytes of the read do not fit in one string ('
      + String(error && error.message) + ')');
  }
  return { $elements: viewName, base64: text };
}

Session.prototype.read = function (step) {
  var View = viewConstructor(step.view);
  var buffer = this.memory(step).buffer;
  var view = step.length === null || step.length === undefined
    ? new View(buffer, step.offset) : new View(buffer, step.offset, step.length);
  return viewValues(view, step.view);
};

Session.prototype.write_string = function (step) {
  var encoded;
  if (step.encoding === 'utf-16le') {
    encoded = new Uint8Array(step.text.length * 2);
    for (var i = 0; i < step.text.length; i++) {
      var unit = step.text.charCodeAt(i);
      encoded[2 * i] = unit & 255;
      encoded[2 * i + 1] = unit >> 8;
    }
  } else {
    encoded = new TextEncoder().encode(step.text);
  }
  new Uint8Array(this.memory(step).buffer, step.offset, encoded.length).set(encoded);
  return { written: encoded.length };
};

Session.prototype.decode = function (step) {
  var decoder = new TextDecoder(step.label, { fatal: step.fatal, ignoreBOM: step.ignore_bom });
  return decoder.decode(new Uint8Array(this.memory(step).buffer, step.offset, step.length));
};

Session.prototype.call = function (step) {
  var args = step.args.map(function (value, index) { return decodeArgument(step.param_types[index], value); });
  var result;
  try {
    result = this.exports(step)[step.export].apply(null, args);
  } catch (error) {
    if (isWasiExit(error)) return { exit: error.code };
    throw error;
  }
  if (result === undefined) return null;
  if (Array.isArray(result)) return result.map(encodeValue);
  return encodeValue(result);
};

Session.prototype.get_global = function (step) {
  return encodeValue(this.exports(step)[step.export].value);
};

Session.prototype.set_global = function (step) {
  this.exports(step)[step.export].value = decodeArgument(step.global_type, step.value);
  return null;
};

// A 64-bit memory's grow returns a BigInt: observed as a decimal string, as i64 values are.
Session.prototype.grow = function (step) {
  return encodeValue(this.memory(step).grow(addressValue(step.delta, this.request.memory64_js_api)));
};

Session.prototype.size = function (step) {
  var byteLength = this.memory(step).buffer.byteLength;
  return { pages: byteLength / 65536, byte_length: byteLength };
};

// Without a length, a view over a resizable buffer tracks the buffer's length (ECMAScript,
// InitializeTypedArrayFromArrayBuffer); over a fixed-length one it covers the rest of the buffer.
Session.prototype.hold = function (step) {
  var View = viewConstructor(step.view);
  var buffer = this.memory(step).buffer;
  var view = step.length === null || step.length === undefined
    ? new View(buffer, step.offset) : new View(buffer, step.offset, step.length);
  this.held[step.name] = { view: view, viewName: step.view };
  return { length: view.length };
};

Session.prototype.held_ = function (step) {
  var entry = Object.prototype.hasOwnProperty.call(this.held, step.name) ? this.held[step.name] : undefined;
  // its hold step threw (the loader saw to it that one exists); harness/scenarios/on_model.py throws the same
  if (!entry) throw new TypeError('no view is held under "' + step.name + '": its hold step threw');
  if (step.values !== null && step.values !== undefined) entry.view.set(decodeForView(entry.viewName, step.values));
  var observation = { length: entry.view.length, byte_length: entry.view.byteLength };
  if (step.read) observation.values = viewValues(entry.view, entry.viewName);  // detached: length 0, Array.from throws
  return observation;
};

function isShared(buffer) {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

// ArrayBuffer.prototype.detached is ES2024 (and its getter throws on a SharedArrayBuffer, which is never
// detached); before it, a detached buffer is the one a view cannot be made on.
function isDetached(buffer) {
  if (isShared(buffer)) return false;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try { new Uint8Array(buffer, 0, 0); return false; } catch (error) { return true; }
}

// What a script sees of a buffer. An engine without resizable buffers has only fixed-length ones,
// whose maxByteLength is their byteLength (ECMAScript, get ArrayBuffer.prototype.maxByteLength).
function describeBuffer(buffer) {
  var shared = isShared(buffer);
  return {
    byte_length: buffer.byteLength,
    max_byte_length: typeof buffer.maxByteLength === 'number' ? buffer.maxByteLength : buffer.byteLength,
    resizable: (shared ? buffer.growable : buffer.resizable) === true,
    shared: shared,
    detached: isDetached(buffer)
  };
}

Session.prototype.keepBuffer = function (step, buffer) {
  if (step.keep !== null && step.keep !== undefined) this.kept[step.keep] = buffer;
  return describeBuffer(buffer);
};

// `buffer`: the memory's current buffer (kept as `keep`), or with `name` a buffer kept earlier and
// whether it is still the memory's buffer (`current`).
Session.prototype.buffer = function (step) {
  var current = this.memory(step).buffer;
  if (step.name === null || step.name === undefined) return this.keepBuffer(step, current);
  var kept = this.kept[step.name];
  var observation = describeBuffer(kept);
  observation.current = kept === current;
  return observation;
};

Session.prototype.to_resizable_buffer = function (step) {
  return this.keepBuffer(step, this.memory(step).toResizableBuffer());
};

Session.prototype.to_fixed_length_buffer = function (step) {
  return this.keepBuffer(step, this.memory(step).toFixedLengthBuffer());
};

Session.prototype.write_bytes = function (step) {
  var data;
  if (step.fill !== undefined) {
    data = new Uint8Array(step.length);
    data.fill(step.fill);
  } else {
    data = step.data;
  }
  new Uint8Array(this.memory(step).buffer, step.offset, data.length).set(data);
  return { written: data.length };
};

Session.prototype.read_bytes = function (step) {
  var bytes = new Uint8Array(this.memory(step).buffer, step.offset, step.length);
  var hex = '';
  for (var i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return hex;
};

Session.prototype.calls = function (step) {
  var wanted = step.import;
  var taken = this.log.filter(function (record) { return wanted === null || wanted === undefined || record.import === wanted; });
  this.log = this.log.filter(function (record) { return !(wanted === null || wanted === undefined || record.import === wanted); });
  return taken;
};

Session.prototype.output = function () {
  return this.wasi ? this.wasi.takeOutput() : { stdout: '', stderr: '' };
};

function hexBytes(text) {
  var bytes = new Uint8Array(text.length / 2);
  for (var i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(2 * i, 2), 16);
  return bytes;
}

// The step with its `$name` expressions evaluated on this runtime's own observations.
Session.prototype.resolved = function (step) {
  var values = this.values;
  var resolved = {};
  function value(key, item, type) {
    if (!expressions.isExpression(item)) return item;
    if (key === 'data') {
      var named = values[item.program[0][1]];
      if (typeof named !== 'string') throw new expressions.ExpressionError('$' + item.program[0][1] + ' holds no bytes');
      return hexBytes(named);
    }
    var result = expressions.evaluate(item.program, values);
    return type === 'bigint' ? result : Number(result);
  }
  Object.keys(step).forEach(function (key) {
    var item = step[key];
    if (key === 'args') {
      resolved.args = item.map(function (arg, index) {
        return value(key, arg, step.param_types && step.param_types[index] === 'i64' ? 'bigint' : 'number');
      });
    } else if (key === 'values' && item) {
      resolved.values = item.map(function (element) { return value(key, element, isBigIntView(step.view_of_values) ? 'bigint' : 'number'); });
    } else if (key === 'value') {
      resolved.value = value(key, item, step.global_type === 'i64' ? 'bigint' : 'number');
    } else if (key === 'delta') {
      resolved.delta = value(key, item, step.memory && step.memory.address === 'i64' ? 'bigint' : 'number');
    } else if (key === 'data_b64') {
      resolved.data = decodeBase64(item);
    } else {
      resolved[key] = value(key, item, 'number');
    }
  });
  return resolved;
};

Session.prototype.run = function (step) {
  var method = step.op === 'held' ? 'held_' : step.op;
  var observation;
  try {
    observation = this[method](this.resolved(step));
  } catch (error) {
    observation = errorObservation(error);
  }
  if (step.name_as) this.values[step.name_as] = observation;
  return observation;
};

function runScenario(request) {
  request.modules.forEach(rememberBytes);
  request.modules.forEach(checkKnown);
  return new Promise(function (resolve) {
    var session = new Session(request);
    resolve(session.instantiateAll().then(function () {
      return { instantiate: null, steps: request.steps.map(function (step) { return session.run(step); }) };
    }));
  }).catch(function (error) {
    if (error && error.linmemInstantiation) return { instantiate: error.linmemInstantiation, steps: [] };
    return { instantiate: errorObservation(error), steps: [] };
  });
}

module.exports = { scenario: runScenario };
