'use strict';
// Worker handler: compiles WebAssembly text with the pinned wabt.js.
// The wabt instance is created once and serves every request. The directory
// holding node_modules comes from LINMEM_NODE_MODULES.

var path = require('path');
var withDataMemoryIndices = require('./data_memory_index.js').withDataMemoryIndices;

var wabtReady = null;

function loadWabt() {
  if (!wabtReady) {
    var modulesDir = process.env.LINMEM_NODE_MODULES;
    if (!modulesDir) throw new Error('LINMEM_NODE_MODULES is not set');
    var factory = require(path.join(modulesDir, 'wabt'));
    wabtReady = factory();
  }
  return wabtReady;
}

// wabt.js copies a typed array's *whole* underlying buffer and reads strings
// as Latin-1, so the source goes in as an ArrayBuffer of exactly its bytes.
function exactBuffer(base64) {
  var bytes = Buffer.from(base64, 'base64');
  return new Uint8Array(bytes).buffer;
}

function StageError(stage, message) {
  var error = new Error(message);
  error.name = 'WatError';
  error.stage = stage;
  return error;
}

function runStage(stage, action) {
  try {
    return action();
  } catch (error) {
    throw StageError(stage, String(error && error.message));
  }
}

function compile(request) {
  return loadWabt().then(function (wabt) {
    var features = request.features || {};
    var module = runStage('parse', function () {
      return wabt.parseWat(request.filename, exactBuffer(request.source_b64), features);
    });
    try {
      runStage('resolve', function () { module.resolveNames(); });
      if (request.validate !== false) runStage('validate', function () { module.validate(features); });
      var bytes = runStage('encode', function () {
        var binary = module.toBinary({}).buffer;
        // wabt.js writes without features: put back what it leaves out under multi_memory
        return features.multi_memory ? withDataMemoryIndices(binary, module) : binary;
      });
      return { wasm_b64: Buffer.from(bytes).toString('base64') };
    } finally {
      module.destroy();
    }
  });
}

function wabtVersion() {
  var manifest = require(path.join(process.env.LINMEM_NODE_MODULES, 'wabt', 'package.json'));
  return { wabt: manifest.version };
}

module.exports = { compile: compile, wabt_version: wabtVersion };
