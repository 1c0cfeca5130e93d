// META: global=window,dedicatedworker,jsshell
// META: script=/wasm/jsapi/assertions.js
// linmem's own test of a memory's buffer (not the official suite's file of the same name).

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  assert_memory_pages(memory, 1);
  assert_true(memory.buffer instanceof ArrayBuffer, "an ArrayBuffer");
}, "A one-page memory's buffer is 65536 bytes");

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  assert_equals(memory.buffer, memory.buffer);
}, "The buffer is the same object until the memory grows");

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  new Uint8Array(memory.buffer)[65535] = 42;
  assert_equals(new Uint8Array(memory.buffer)[65535], 42);
}, "A write through one view is seen by another");

promise_test(async () => {
  const { instance } = await WebAssembly.instantiate(memoryModuleBytes(2));
  assert_memory_pages(instance.exports.mem, 2);
}, "An instantiated module's exported memory has its declared size");
