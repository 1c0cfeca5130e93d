'use strict';
// Prints which runtime this is, as one JSON object: name, version, engine and
// engine version. Runs unchanged on Node (any version), Deno and Bun.
var versions = (typeof process !== 'undefined' && process.versions) || {};
var identity;
if (typeof Deno !== 'undefined') {
  identity = { name: 'deno', version: Deno.version.deno, engine: 'V8', engine_version: Deno.version.v8 };
} else if (versions.bun) {
  identity = { name: 'bun', version: versions.bun, engine: 'JavaScriptCore',
    engine_version: 'WebKit ' + String(versions.webkit || 'unknown').slice(0, 12) };
} else {
  identity = { name: 'node', version: versions.node, engine: 'V8', engine_version: versions.v8 };
}
identity.linmem_probe = 1;
process.stdout.write(JSON.stringify(identity));
