'use strict';
// Putting back the memory index of active data segments that wabt.js leaves out.
//
// wabt.js's toBinary() takes no feature flags: its C side (wabt_write_binary_module)
// writes with wabt's default features, where multi_memory is off, and then its writer
// gives a segment for a memory other than 0 the flags 2 ("explicit memory index") but
// writes no index: the offset expression follows the flags at once, and every engine
// reads the offset's first opcode (0x41 for i32.const) as the index. The index of each
// segment's memory is in wabt's own text of the resolved module ("(data ... (memory N)"),
// so the data section is rewritten with those indices inserted.
// Plain ECMAScript, no dependencies.

// An unsigned LEB128 at offset: { value, next }.
function readUnsigned(bytes, offset) {
  var value = 0;
  var scale = 1;
  for (;;) {
    if (offset >= bytes.length) throw new Error('LEB128 runs past the end');
    var byte = bytes[offset++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (!(byte & 0x80)) return { value: value, next: offset };
  }
}

function writeUnsigned(value) {
  var out = [];
  do {
    var byte = value % 128;
    value = Math.floor(value / 128);
    out.push(value ? byte | 0x80 : byte);
  } while (value);
  return out;
}

function skipLeb(bytes, offset) {
  while (bytes[offset] & 0x80) offset++;
  return offset + 1;
}

// What follows each opcode a data segment's offset may hold (constant expressions).
var CONSTANT_IMMEDIATES = { 0x41: 'leb', 0x42: 'leb', 0x23: 'leb', 0x43: 4, 0x44: 8,
  0x6a: 0, 0x6b: 0, 0x6c: 0, 0x7c: 0, 0x7d: 0, 0x7e: 0 };

// The offset just past the `end` of the constant expression at offset.
function skipConstantExpression(bytes, offset) {
  for (;;) {
    var opcode = bytes[offset++];
    if (opcode === 0x0b) return offset;
    var immediate = CONSTANT_IMMEDIATES[opcode];
    if (immediate === undefined) throw new Error('unexpected opcode in a data segment offset');
    offset = immediate === 'leb' ? skipLeb(bytes, offset) : offset + immediate;
  }
}

// The memory index of each data segment, in order (0 for passive ones), from wabt's text.
function memoryIndices(module) {
  var text = module.toText({ foldExprs: false, inlineExport: false });
  var pattern = /^\s*\(data (?:\$\S+|\(;\d+;\))(?: \(memory (\d+)\))?/gm;
  var indices = [];
  var match;
  while ((match = pattern.exec(text)) !== null) indices.push(match[1] ? Number(match[1]) : 0);
  return indices;
}

function rewriteDataSection(section, indices) {
  var count = readUnsigned(section, 0);
  var parts = [section.subarray(0, count.next)];
  var offset = count.next;
  for (var index = 0; index < count.value; index++) {
    var flags = readUnsigned(section, offset);
    parts.push(section.subarray(offset, flags.next));
    if (flags.value === 2) parts.push(Uint8Array.from(writeUnsigned(indices[index])));
    var start = flags.next;
    offset = flags.value === 1 ? start : skipConstantExpression(section, start);
    var length = readUnsigned(section, offset);
    offset = length.next + length.value;
    parts.push(section.subarray(start, offset));
  }
  return concat(parts);
}

function concat(parts) {
  var total = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
  var out = new Uint8Array(total);
  var at = 0;
  parts.forEach(function (part) { out.set(part, at); at += part.length; });
  return out;
}

// Whether some active data segment has flags 2 (wabt writes them only for a memory other than 0).
function hasExplicitIndexSegments(binary) {
  var found = false;
  eachSection(binary, function (id, body) {
    if (id !== 11) return;
    var count = readUnsigned(body, 0);
    var offset = count.next;
    for (var index = 0; index < count.value && !found; index++) {
      var flags = readUnsigned(body, offset);
      if (flags.value === 2) { found = true; break; }
      offset = flags.value === 1 ? flags.next : skipConstantExpression(body, flags.next);
      var length = readUnsigned(body, offset);
      offset = length.next + length.value;
    }
  });
  return found;
}

function eachSection(binary, visit) {
  var offset = 8;
  while (offset < binary.length) {
    var id = binary[offset];
    var size = readUnsigned(binary, offset + 1);
    var end = size.next + size.value;
    visit(id, binary.subarray(size.next, end), binary.subarray(offset, end));
    offset = end;
  }
}

// The binary with every data segment's memory index in place (unchanged when none is missing).
// An offset that is no constant expression (an invalid module, compiled unvalidated on purpose)
// hides where its segment ends: such a binary stays as wabt wrote it, invalid either way.
function withDataMemoryIndices(binary, module) {
  try {
    if (!hasExplicitIndexSegments(binary)) return binary;
    var indices = memoryIndices(module);
    var parts = [binary.subarray(0, 8)];
    eachSection(binary, function (id, body, whole) {
      if (id !== 11) { parts.push(whole); return; }
      var rewritten = rewriteDataSection(body, indices);
      parts.push(Uint8Array.from([11].concat(writeUnsigned(rewritten.length))), rewritten);
    });
    return concat(parts);
  } catch (unreadable) {
    return binary;
  }
}

module.exports = { withDataMemoryIndices: withDataMemoryIndices };
