'use strict';
// Worker handler: runs one testharness.js test file (a JS API `*.any.js`) per
// request, in a fresh global (a `vm` context) so no file sees another's state.
// The harness, the file's `// META: script=` files and the file itself are
// evaluated in order as classic (sloppy) scripts, as a browser's shell
// environment would; Python reads them and sends their sources. Results come
// from testharness's own add_result_callback / add_completion_callback.
// After `timeout_ms` the harness's timeout() ends the tests still running
// (they report TIMEOUT); a file stuck in a synchronous loop is killed by the
// Python side instead.
var vm = require('vm');

function messageOf(error) {
  if (error && typeof error === 'object' && 'message' in error) {
    return String(error.name || 'Error') + ': ' + String(error.message);
  }
  return String(error);
}

function freshGlobal() {
  var context = vm.createContext({
    setTimeout: setTimeout, clearTimeout: clearTimeout,
    setInterval: setInterval, clearInterval: clearInterval, console: console
  });
  vm.runInContext('var self = this;', context);
  return context;
}

function resultOf(test) {
  return { name: String(test.name), status: Number(test.status), message: test.message == null ? '' : String(test.message) };
}

// The uncaught exceptions and unhandled rejections of the file's own callbacks, while it runs.
function catchUncaught(uncaught) {
  function onError(error) { uncaught.push(messageOf(error)); }
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return function release() {
    process.removeListener('uncaughtException', onError);
    process.removeListener('unhandledRejection', onError);
  };
}

function evaluate(context, script, uncaught) {
  try {
    vm.runInContext(script.source, context, { filename: script.name });
    return true;
  } catch (error) {
    uncaught.push(messageOf(error) + ' (at the top level of ' + script.name.split(/[\\/]/).pop() + ')');
    return false;
  }
}

function run(request) {
  var context = freshGlobal();
  var answer = { results: [], harness: null, uncaught: [], timed_out: false };
  var seen = {};
  var release = catchUncaught(answer.uncaught);
  return new Promise(function (resolve) {
    var timer = null;
    function finish() {
      if (timer !== null) clearTimeout(timer);
      release();
      resolve(answer);
    }
    if (!evaluate(context, request.harness, answer.uncaught)) return finish();
    context.add_result_callback(function (test) {
      seen[test.name] = true;
      answer.results.push(resultOf(test));
    });
    context.add_completion_callback(function (tests, status) {
      tests.forEach(function (test) { if (!seen[test.name]) answer.results.push(resultOf(test)); });
      answer.harness = { status: Number(status.status), message: status.message == null ? '' : String(status.message) };
      setTimeout(finish, 0);  // uncaught errors of the last callbacks still count
    });
    var scripts = request.scripts.concat([request.test]);
    for (var i = 0; i < scripts.length; i++) {
      if (!evaluate(context, scripts[i], answer.uncaught)) break;
    }
    timer = setTimeout(function () {
      timer = null;
      answer.timed_out = true;
      try { context.timeout(); } catch (error) { answer.uncaught.push(messageOf(error)); }
      setTimeout(finish, 50);  // the harness completes at once after timeout(); if not, answer anyway
    }, request.timeout_ms);
  });
}

module.exports = { jsapi_run: run };
