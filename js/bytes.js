'use strict';
// Bytes from and to base64 text, on Node (Buffer) and elsewhere (atob, btoa).

function decodeBase64(text) {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  var binary = atob(text);
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function encodeBase64(bytes) {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  var parts = [];
  for (var i = 0; i < bytes.length; i += 32768) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 32768)));
  }
  return btoa(parts.join(''));
}

module.exports = { decodeBase64: decodeBase64, encodeBase64: encodeBase64 };
