'use strict';
// linmem's own WASI preview 1 host: the same host logic on every runtime, and
// in the reference model (harness/model/wasi.py mirrors this file access for
// access: change one only with the other). Not the runtimes' own WASI: linmem
// tests memory behaviour, so every side must run identical host code.
// Plain ECMAScript with no dependencies (BigInt only to parse clock_ns).
//
//   var host = createWasiHost({args: ['prog'], env: [['LANG', 'C']], seed: 1, clock_ns: '1700000000000000000'});
//   imports.wasi_snapshot_preview1 = imports.wasi_unstable = host.imports;
//   host.setMemory(instance.exports.memory);
//   try { instance.exports._start(); } catch (e) { if (!isWasiExit(e)) throw e; e.code; }
//   host.takeOutput();  // {stdout, stderr} written since the last take
//
// The contract is the WASI preview 1 witx, cited by each function as "witx":
// https://github.com/WebAssembly/WASI/blob/e840fe45e63b4f227a29fa87df94ab3bbe3d5efb/legacy/preview1/witx/wasi_snapshot_preview1.witx
// (typenames.witx beside it defines errno, rights, fdstat, clockid). Snapshot 0
// (wasi_unstable) differs, for these functions, only in whence's numbering,
// which fd_seek never reads.
//
// Memory access: one range at a time, through a DataView or Uint8Array of
// exactly that range over the memory's current buffer (re-read every time:
// the memory may have grown), in the order each function's comment gives. A
// range past the end throws the constructor's RangeError before any byte of it
// is touched; earlier accesses keep their effect. Pointers, lengths, fds and
// codes are unsigned 32-bit (>>> 0 on the i32 arguments). A function that needs
// memory before setMemory throws TypeError.
//
// random_get's generator is MT19937 (Matsumoto and Nishimura, mt19937ar.c,
// 2002) seeded with init_by_array([seed]), seed in [0, 2**32): the stream of
// CPython's random.Random(seed).getrandbits(32). Each call draws
// ceil(buf_len / 4) words and stores each little-endian, dropping the unused
// high bytes of the last one; the stream continues across calls.

var ERRNO_SUCCESS = 0;
var ERRNO_BADF = 8;
var ERRNO_INVAL = 28;
var ERRNO_SPIPE = 70;
var FILETYPE_CHARACTER_DEVICE = 2;
var RIGHT_FD_READ = 2; // rights bit 1
var RIGHT_FD_WRITE = 64; // rights bit 6; no fd_seek or fd_tell, so wasi-libc's isatty() says yes
var STDIN = 0;
var STDOUT = 1;
var STDERR = 2;
var CLOCK_COUNT = 4; // realtime, monotonic, process and thread CPU time

// In the order of harness/model/wasi.py's SIGNATURES.
var PROVIDED = [
  'args_get', 'args_sizes_get', 'clock_res_get', 'clock_time_get', 'environ_get', 'environ_sizes_get',
  'fd_close', 'fd_fdstat_get', 'fd_prestat_dir_name', 'fd_prestat_get', 'fd_read', 'fd_seek', 'fd_write',
  'proc_exit', 'random_get', 'sched_yield'
];

function WasiExit(code) {
  this.name = 'WasiExit';
  this.message = 'proc_exit(' + code + ')';
  this.code = code;
}
WasiExit.prototype = Object.create(Error.prototype);
WasiExit.prototype.constructor = WasiExit;

function isWasiExit(error) {
  return error instanceof WasiExit;
}

// MT19937, exact in 32 bits: Math.imul for the products, a Uint32Array to wrap the sums.
var MT_N = 624;
var MT_M = 397;

function Mt19937(key) {
  var mt = new Uint32Array(MT_N);
  var i, j, k, previous;
  mt[0] = 19650218; // init_genrand(19650218)
  for (i = 1; i < MT_N; i++) {
    previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
    mt[i] = Math.imul(1812433253, previous) + i;
  }
  i = 1;
  j = 0;
  for (k = Math.max(MT_N, key.length); k > 0; k--) {
    previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
    mt[i] = (mt[i] ^ Math.imul(previous, 1664525)) + key[j] + j;
    i++;
    j++;
    if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
    if (j >= key.length) j = 0;
  }
  for (k = MT_N - 1; k > 0; k--) {
    previous = mt[i - 1] ^ (mt[i - 1] >>> 30);
    mt[i] = (mt[i] ^ Math.imul(previous, 1566083941)) - i;
    i++;
    if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
  }
  mt[0] = 0x80000000;
  this.state = mt;
  this.index = MT_N;
}

Mt19937.prototype.twist = function () {
  var mt = this.state;
  for (var k = 0; k < MT_N; k++) {
    var y = (mt[k] & 0x80000000) | (mt[(k + 1) % MT_N] & 0x7fffffff);
    mt[k] = mt[(k + MT_M) % MT_N] ^ (y >>> 1) ^ ((y & 1) ? 0x9908b0df : 0);
  }
  this.index = 0;
};

Mt19937.prototype.next = function () {
  if (this.index >= MT_N) this.twist();
  var y = this.state[this.index++];
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
};

// The NUL-terminated UTF-8 strings laid end to end, and each one's offset in the block.
function stringsBlock(strings) {
  var encoder = new TextEncoder();
  var encoded = strings.map(function (text) { return encoder.encode(text + '\0'); });
  var bytes = new Uint8Array(encoded.reduce(function (total, item) { return total + item.length; }, 0));
  var offsets = [];
  var position = 0;
  encoded.forEach(function (item) {
    offsets.push(position);
    bytes.set(item, position);
    position += item.length;
  });
  return { bytes: bytes, offsets: offsets };
}

function concatenate(chunks) {
  var bytes = new Uint8Array(chunks.reduce(function (total, chunk) { return total + chunk.length; }, 0));
  var position = 0;
  chunks.forEach(function (chunk) { bytes.set(chunk, position); position += chunk.length; });
  return bytes;
}

function checkConfig(config) {
  if (!Array.isArray(config.args) || !config.args.every(function (arg) { return typeof arg === 'string'; })) {
    throw new TypeError('WASI args must be strings');
  }
  if (!Array.isArray(config.env) || !config.env.every(function (pair) {
    return Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string';
  })) {
    throw new TypeError('WASI env must be [key, value] pairs of strings');
  }
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new RangeError('WASI seed must be an integer in [0, 2**32)');
  }
  if (typeof config.clock_ns !== 'string' || !/^[0-9]+$/.test(config.clock_ns) ||
      BigInt(config.clock_ns) >= BigInt(2) ** BigInt(64)) {
    throw new RangeError('WASI clock_ns must be a decimal string of an integer in [0, 2**64)');
  }
}

function WasiHost(config) {
  this.args = stringsBlock(config.args);
  this.environ = stringsBlock(config.env.map(function (pair) { return pair[0] + '=' + pair[1]; }));
  var clock = BigInt(config.clock_ns);
  this.clockLow = Number(clock & BigInt(0xffffffff));
  this.clockHigh = Number(clock >> BigInt(32));
  this.seed = config.seed;
  this.generator = null; // made on first use: seeding costs ~2,500 steps
  this.open = [true, true, true];
  this.output = [[], [], []]; // by fd; 1 and 2 are used
  this.memory = null;
}

WasiHost.prototype.isOpen = function (fd) {
  return fd < this.open.length && this.open[fd];
};

WasiHost.prototype.buffer = function () {
  if (!this.memory) throw new TypeError('a WASI function needs memory before setMemory was called');
  return this.memory.buffer;
};

WasiHost.prototype.bytesAt = function (address, length) {
  return new Uint8Array(this.buffer(), address, length);
};

WasiHost.prototype.dataAt = function (address, length) {
  return new DataView(this.buffer(), address, length);
};

WasiHost.prototype.storeU32s = function (address, values) {
  var view = this.dataAt(address, 4 * values.length);
  values.forEach(function (value, index) { view.setUint32(4 * index, value, true); });
};

// The (buf, buf_len) records of an iovec array, its whole range checked first (witx iovec).
WasiHost.prototype.iovecs = function (iovs, iovsLength) {
  var table = this.dataAt(iovs, 8 * iovsLength);
  var records = [];
  for (var at = 0; at < table.byteLength; at += 8) {
    records.push({ buf: table.getUint32(at, true), length: table.getUint32(at + 4, true) });
  }
  return records;
};

WasiHost.prototype.sizesGet = function (block, countPtr, sizePtr) {
  this.storeU32s(countPtr, [block.offsets.length]);
  this.storeU32s(sizePtr, [block.bytes.length]);
  return ERRNO_SUCCESS;
};

WasiHost.prototype.stringsGet = function (block, pointers, buffer) {
  this.bytesAt(buffer, block.bytes.length).set(block.bytes);
  this.storeU32s(pointers, block.offsets.map(function (offset) { return buffer + offset; }));
  return ERRNO_SUCCESS;
};

WasiHost.prototype.takeOutput = function () {
  var decoder = new TextDecoder('utf-8');
  var taken = { stdout: decoder.decode(concatenate(this.output[STDOUT])),
                stderr: decoder.decode(concatenate(this.output[STDERR])) };
  this.output = [[], [], []];
  return taken;
};

// The functions, in witx order; each returns the errno.
function makeImports(host) {
  return {
    // witx args_get, "Read command-line argument data.": every argument, UTF-8 and
    // NUL-terminated, end to end at argv_buf (one range), then argc u32 pointers
    // at argv (one range); no NULL after them (wasi-libc's calloc provides it).
    args_get: function (argv, argvBuf) {
      return host.stringsGet(host.args, argv >>> 0, argvBuf >>> 0);
    },
    // witx args_sizes_get: argc (u32) at the first pointer, then the byte count args_get writes (u32).
    args_sizes_get: function (argcPtr, sizePtr) {
      return host.sizesGet(host.args, argcPtr >>> 0, sizePtr >>> 0);
    },
    // witx environ_get: as args_get, with "key=value" strings in the configured order.
    environ_get: function (environ, environBuf) {
      return host.stringsGet(host.environ, environ >>> 0, environBuf >>> 0);
    },
    // witx environ_sizes_get: as args_sizes_get.
    environ_sizes_get: function (countPtr, sizePtr) {
      return host.sizesGet(host.environ, countPtr >>> 0, sizePtr >>> 0);
    },
    // witx clock_res_get: 1 ns (u64) for clocks 0 to 3; EINVAL for others, writing nothing.
    clock_res_get: function (id, resolutionPtr) {
      if ((id >>> 0) >= CLOCK_COUNT) return ERRNO_INVAL;
      host.storeU32s(resolutionPtr >>> 0, [1, 0]);
      return ERRNO_SUCCESS;
    },
    // witx clock_time_get: the configured clock_ns (u64) for clocks 0 to 3, whatever
    // the precision (a BigInt: Node 15+); EINVAL for others, writing nothing.
    clock_time_get: function (id, precision, timePtr) {
      if ((id >>> 0) >= CLOCK_COUNT) return ERRNO_INVAL;
      host.storeU32s(timePtr >>> 0, [host.clockLow, host.clockHigh]);
      return ERRNO_SUCCESS;
    },
    // witx fd_close: closes open stdio (later calls on it are EBADF); EBADF if not open.
    fd_close: function (fd) {
      fd >>>= 0;
      if (!host.isOpen(fd)) return ERRNO_BADF;
      host.open[fd] = false;
      return ERRNO_SUCCESS;
    },
    // witx fd_fdstat_get: for open stdio, checks the 24-byte fdstat range, then writes
    // its fields, padding (bytes 1, 4-7) left as it was: filetype character_device
    // (u8 at 0), flags 0 (u16 at 2), base rights fd_read for stdin and fd_write for
    // stdout and stderr (u64 at 8), inheriting rights 0 (u64 at 16). EBADF otherwise.
    fd_fdstat_get: function (fd, statPtr) {
      fd >>>= 0;
      if (!host.isOpen(fd)) return ERRNO_BADF;
      var view = host.dataAt(statPtr >>> 0, 24);
      view.setUint8(0, FILETYPE_CHARACTER_DEVICE);
      view.setUint16(2, 0, true);
      view.setUint32(8, fd === STDIN ? RIGHT_FD_READ : RIGHT_FD_WRITE, true);
      view.setUint32(12, 0, true);
      view.setUint32(16, 0, true);
      view.setUint32(20, 0, true);
      return ERRNO_SUCCESS;
    },
    // witx fd_prestat_dir_name: no preopens, EBADF, writing nothing.
    fd_prestat_dir_name: function () {
      return ERRNO_BADF;
    },
    // witx fd_prestat_get: no preopens, EBADF for every fd (wasi-libc stops its scan there).
    fd_prestat_get: function () {
      return ERRNO_BADF;
    },
    // witx fd_read ("similar to readv"): stdin is empty: reads the iovec array (one
    // range), checks each buffer's range in order, stores 0 (u32) at nread_ptr.
    // EBADF for other fds, as POSIX read on one not open for reading.
    fd_read: function (fd, iovs, iovsLength, nreadPtr) {
      fd >>>= 0;
      if (fd !== STDIN || !host.isOpen(fd)) return ERRNO_BADF;
      host.iovecs(iovs >>> 0, iovsLength >>> 0).forEach(function (iovec) { host.bytesAt(iovec.buf, iovec.length); });
      host.storeU32s(nreadPtr >>> 0, [0]);
      return ERRNO_SUCCESS;
    },
    // witx fd_seek: ESPIPE for open stdio (character devices), EBADF otherwise; never
    // reads whence (numbered differently in snapshot 0) or memory.
    fd_seek: function (fd) {
      return host.isOpen(fd >>> 0) ? ERRNO_SPIPE : ERRNO_BADF;
    },
    // witx fd_write ("similar to writev"): for open stdout and stderr, reads the
    // ciovec array (one range), copies each buffer in order (a bad one throws before
    // anything is captured), captures the bytes, then stores their count (u32,
    // modulo 2**32) at nwritten_ptr: if that store throws, the output is kept.
    // EBADF for other fds (stdin is not open for writing).
    fd_write: function (fd, iovs, iovsLength, nwrittenPtr) {
      fd >>>= 0;
      if ((fd !== STDOUT && fd !== STDERR) || !host.isOpen(fd)) return ERRNO_BADF;
      var chunks = host.iovecs(iovs >>> 0, iovsLength >>> 0).map(function (iovec) {
        return host.bytesAt(iovec.buf, iovec.length).slice();
      });
      chunks.forEach(function (chunk) { host.output[fd].push(chunk); });
      host.storeU32s(nwrittenPtr >>> 0, [chunks.reduce(function (total, chunk) { return total + chunk.length; }, 0)]);
      return ERRNO_SUCCESS;
    },
    // witx proc_exit, "Terminate the process normally.": throws a WasiExit with the code.
    proc_exit: function (rval) {
      throw new WasiExit(rval >>> 0);
    },
    // witx random_get: checks the range, then fills it from the MT19937 stream
    // (see the top of this file): deterministic, not high-quality, on purpose.
    random_get: function (buf, bufLength) {
      bufLength >>>= 0;
      var target = host.bytesAt(buf >>> 0, bufLength);
      if (!host.generator) host.generator = new Mt19937([host.seed]);
      for (var at = 0; at < bufLength; at += 4) {
        var word = host.generator.next();
        for (var byte = 0; byte < 4 && at + byte < bufLength; byte++) target[at + byte] = (word >>> (8 * byte)) & 0xff;
      }
      return ERRNO_SUCCESS;
    },
    // witx sched_yield: nothing to yield to, success.
    sched_yield: function () {
      return ERRNO_SUCCESS;
    }
  };
}

// config: {args: [string...], env: [[key, value]...], seed: integer, clock_ns: decimal string};
// missing keys default to args ['main'], env [], seed 0, clock_ns '0'.
function createWasiHost(config) {
  config = config || {};
  var full = {
    args: config.args === undefined ? ['main'] : config.args,
    env: config.env === undefined ? [] : config.env,
    seed: config.seed === undefined ? 0 : config.seed,
    clock_ns: config.clock_ns === undefined ? '0' : config.clock_ns
  };
  checkConfig(full);
  var host = new WasiHost(full);
  return {
    imports: makeImports(host),
    setMemory: function (memory) { host.memory = memory; },
    takeOutput: function () { return host.takeOutput(); }
  };
}

module.exports = { createWasiHost: createWasiHost, isWasiExit: isWasiExit, PROVIDED: PROVIDED };
