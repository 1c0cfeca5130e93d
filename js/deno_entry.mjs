// Deno runs .js files as ES modules; linmem's programs are CommonJS. This entry
// point loads one of them unchanged through node:module's require, with the
// command line it would have under Node:
//   deno run --allow-read deno_entry.mjs program.js [arguments...]
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(import.meta.url);
const [program, ...rest] = process.argv.slice(2);
process.argv.splice(1, process.argv.length - 1, program, ...rest);
require(program);
