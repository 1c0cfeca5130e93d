'use strict';
var decodeBase64 = require('./bytes').decodeBase64;
// Worker handler: runs one scenario (format v1) per request and reports every
// step's observation as lossless JSON. Plain ECMAScript with no dependencies,
// so that the oldest runtime in the matrix runs it unchanged.
//
// request: {op: "scenario", wasm_b64, memory: {module, field, initial, maximum, shared} | null,
//           memory_export: name | null, steps: [{op, ...keys, param_types?, result_types?}]}
// answer:  {instantiate: null | error, steps: [observation, ...]}
// An error observation is {error: name, message}; linmem adds the trap kind.

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

function decodeForView(viewName, values) {
  return values.map(function (value) {
    return isBigIntView(viewName) ? BigInt(value) : decodeNumber(value);
  });
}

function decodeArgument(type, value) {
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

function Session(request, instance, hostMemory) {
  this.request = request;
  this.instance = instance;
  this.hostMemory = hostMemory;
  this.held = {};
}

Session.prototype.memory = function () {
  if (this.hostMemory) return this.hostMemory;
  return this.instance.exports[this.request.memory_export];
};

Session.prototype.write = function (step) {
  var View = viewConstructor(step.view);
  new View(this.memory().buffer, step.offset, step.values.length).set(decodeForView(step.view, step.values));
  return null;
};

Session.prototype.read = function (step) {
  var View = viewConstructor(step.view);
  var buffer = this.memory().buffer;
  var view = step.length === null || step.length === undefined
    ? new View(buffer, step.offset) : new View(buffer, step.offset, step.length);
  return Array.from(view).map(encodeValue);
};

Session.prototype.write_string = function (step) {
  var encoded = new TextEncoder().encode(step.text);
  new Uint8Array(this.memory().buffer, step.offset, encoded.length).set(encoded);
  return { written: encoded.length };
};

Session.prototype.decode = function (step) {
  var decoder = new TextDecoder(step.label, { fatal: step.fatal, ignoreBOM: step.ignore_bom });
  return decoder.decode(new Uint8Array(this.memory().buffer, step.offset, step.length));
};

Session.prototype.call = function (step) {
  var args = step.args.map(function (value, index) { return decodeArgument(step.param_types[index], value); });
  var result = this.instance.exports[step.export].apply(null, args);
  if (result === undefined) return null;
  if (Array.isArray(result)) return result.map(encodeValue);
  return encodeValue(result);
};

Session.prototype.grow = function (step) {
  return this.memory().grow(step.delta);
};

Session.prototype.size = function () {
  var byteLength = this.memory().buffer.byteLength;
  return { pages: byteLength / 65536, byte_length: byteLength };
};

Session.prototype.hold = function (step) {
  var View = viewConstructor(step.view);
  var view = new View(this.memory().buffer, step.offset, step.length);
  this.held[step.name] = { view: view, viewName: step.view };
  return { length: view.length };
};

Session.prototype.held_ = function (step) {
  var entry = this.held[step.name];
  if (step.values !== null && step.values !== undefined) entry.view.set(decodeForView(entry.viewName, step.values));
  var observation = { length: entry.view.length, byte_length: entry.view.byteLength };
  if (step.read) observation.values = Array.from(entry.view).map(encodeValue);
  return observation;
};

Session.prototype.run = function (step) {
  var method = step.op === 'held' ? 'held_' : step.op;
  try {
    return this[method](step);
  } catch (error) {
    return errorObservation(error);
  }
};

function hostMemoryFor(descriptor) {
  var options = { initial: descriptor.initial };
  if (descriptor.maximum !== null && descriptor.maximum !== undefined) options.maximum = descriptor.maximum;
  if (descriptor.shared) options.shared = true;
  return new WebAssembly.Memory(options);
}


function runScenario(request) {
  var hostMemory = null;
  var imports = {};
  return new Promise(function (resolve) {
    if (request.memory) {
      hostMemory = hostMemoryFor(request.memory);
      imports[request.memory.module] = {};
      imports[request.memory.module][request.memory.field] = hostMemory;
    }
    resolve(WebAssembly.instantiate(decodeBase64(request.wasm_b64), imports));
  }).then(function (result) {
    var session = new Session(request, result.instance, hostMemory);
    return { instantiate: null, steps: request.steps.map(function (step) { return session.run(step); }) };
  }, function (error) {
    return { instantiate: errorObservation(error), steps: [] };
  });
}

module.exports = { scenario: runScenario };
