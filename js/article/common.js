'use strict';
// What both article programs share: reading the module path from the command
// line, printing the one JSON document, and failing loudly.

function wasmPathFromArgs() {
  var wasmPath = process.argv[2];
  if (!wasmPath) {
    process.stderr.write('usage: node ' + process.argv[1] + ' MODULE.wasm\n');
    process.exit(2);
  }
  return wasmPath;
}

function report(example, observations) {
  var document = {
    example: example,
    runtime: { name: 'node', version: process.versions.node },
    observations: observations
  };
  process.stdout.write(JSON.stringify(document) + '\n');
}

function fail(error) {
  process.stderr.write((error && error.stack) ? error.stack + '\n' : String(error) + '\n');
  process.exitCode = 1;
}

module.exports = { wasmPathFromArgs: wasmPathFromArgs, report: report, fail: fail };
