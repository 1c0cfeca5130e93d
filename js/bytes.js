'use strict';
// Bytes from the base64 text of a request, on Node (Buffer) and elsewhere (atob).

function decodeBase64(text) {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  var binary = atob(text);
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

module.exports = { decodeBase64: decodeBase64 };
