'use strict';
// The worker loop: a long-lived process that reads one JSON request per line on
// stdin and writes one JSON answer per line on stdout (protocol version 1).
// Handlers are CommonJS modules named on the command line; each exports an
// object mapping op names to functions that return a value or a promise.
//   node worker.js handler1.js [handler2.js ...]
// Requests are answered strictly in order. Plain ECMAScript, no dependencies.

var readline = require('readline');
var path = require('path');

var PROTOCOL_VERSION = 1;
var handlers = {};

process.argv.slice(2).forEach(function (file) {
  var ops = require(path.resolve(file));
  Object.keys(ops).forEach(function (op) { handlers[op] = ops[op]; });
});

handlers.ping = function () { return { pong: true, node: process.versions.node }; };

function errorShape(error) {
  if (error && typeof error === 'object') {
    var shape = { name: String(error.name), message: String(error.message), stack: String(error.stack || '') };
    if (error.stage) shape.stage = String(error.stage);
    return shape;
  }
  return { name: 'Error', message: String(error), stack: '' };
}

function send(answer) {
  answer.v = PROTOCOL_VERSION;
  process.stdout.write(JSON.stringify(answer) + '\n');
}

function handle(request) {
  var handler = handlers[request.op];
  if (request.v !== PROTOCOL_VERSION) {
    return Promise.reject(new Error('protocol version ' + request.v + ' is not ' + PROTOCOL_VERSION));
  }
  if (!handler) return Promise.reject(new Error('unknown op ' + JSON.stringify(request.op)));
  return new Promise(function (resolve) { resolve(handler(request)); });
}

var queue = Promise.resolve();
readline.createInterface({ input: process.stdin, terminal: false }).on('line', function (line) {
  queue = queue.then(function () {
    var request;
    try {
      request = JSON.parse(line);
    } catch (error) {
      send({ id: null, ok: false, error: errorShape(error) });
      return undefined;
    }
    return handle(request).then(
      function (result) {
        try {
          send({ id: request.id, ok: true, result: result });
        } catch (error) {  // an answer too large for one string: said, not left unanswered
          send({ id: request.id, ok: false, error: errorShape(error) });
        }
      },
      function (error) { send({ id: request.id, ok: false, error: errorShape(error) }); });
  });
});
