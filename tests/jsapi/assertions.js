// linmem's own helpers for its testharness-style JS API tests (loaded by `// META: script=/wasm/jsapi/assertions.js`).
// Written for linmem; not the official suite's file of the same name.

var PAGE_SIZE = 65536;

// A module that exports one memory of `pages` pages as "mem", written byte by byte.
function memoryModuleBytes(pages) {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // magic, version 1
    0x05, 0x03, 0x01, 0x00, pages,                    // memory section: one memory, no maximum
    0x07, 0x07, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00  // export section: "mem" -> memory 0
  ]);
}

function assert_memory_pages(memory, pages, description) {
  assert_true(memory instanceof WebAssembly.Memory, "a WebAssembly.Memory");
  assert_equals(memory.buffer.byteLength, pages * PAGE_SIZE, description || "buffer byte length");
}
