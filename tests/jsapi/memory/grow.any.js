// META: global=window,dedicatedworker,jsshell
// META: script=/wasm/jsapi/assertions.js
// linmem's own test of Memory.prototype.grow (not the official suite's file of the same name).

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 3 });
  assert_equals(memory.grow(2), 1, "grow returns the old size in pages");
  assert_memory_pages(memory, 3);
}, "grow returns the old page count and the buffer follows");

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const old = memory.buffer;
  memory.grow(1);
  assert_equals(old.byteLength, 0, "the old buffer is detached");
  assert_not_equals(memory.buffer, old);
}, "grow detaches the old buffer");

test(() => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  assert_throws_js(RangeError, () => memory.grow(1));
  assert_memory_pages(memory, 1);
}, "Growing past the maximum throws a RangeError and changes nothing");
