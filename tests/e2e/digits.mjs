// A zip of small digit images, as a researcher's upload: one folder per class with a few
// labeled images, and an `unlabeled/` folder with the rest. Drawn here (seven-segment digits
// with jitter and noise), so the test needs no data file.
import zlib from 'node:zlib';

/** A grayscale PNG of `size`×`size` pixels (values 0–255, row by row). */
function png(pixels, size) {
  const chunk = (kind, data) => {
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const raw = Buffer.alloc(size * (size + 1));
  for (let y = 0; y < size; y += 1) raw.set(pixels.subarray(y * size, (y + 1) * size), y * (size + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Segments a–g of a seven-segment display, lit per digit.
const SEGMENTS = ['abcedf', 'bc', 'abged', 'abgcd', 'fgbc', 'afgcd', 'afgedc', 'abc', 'abcdefg', 'abfgcd'];

/** Digit `d` drawn 16×16 with a random shift and noise from `random`. */
function digit(d, random) {
  const size = 16;
  const pixels = new Uint8Array(size * size);
  const dx = Math.floor(random() * 4) - 2;
  const dy = Math.floor(random() * 4) - 2;
  const line = (x0, y0, x1, y1) => {
    for (let t = 0; t <= 8; t += 1) {
      const x = Math.round(x0 + ((x1 - x0) * t) / 8) + dx;
      const y = Math.round(y0 + ((y1 - y0) * t) / 8) + dy;
      if (x >= 0 && x < size && y >= 0 && y < size) pixels[y * size + x] = 255;
    }
  };
  const at = { a: [5, 3, 10, 3], b: [10, 3, 10, 8], c: [10, 8, 10, 13], d: [5, 13, 10, 13], e: [5, 8, 5, 13], f: [5, 3, 5, 8], g: [5, 8, 10, 8] };
  for (const s of SEGMENTS[d]) line(...at[s]);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = Math.min(255, pixels[i] + Math.floor(random() * 60));
  return png(pixels, size);
}

/** A zip (stored entries) of `files`: [name, bytes] pairs. */
function zip(files) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** `labeled` images per class in folders 0–9 and `unlabeled` more in `unlabeled/`. */
export function digitsZip({ labeled = 10, unlabeled = 1697, seed = 1 } = {}) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const files = [];
  for (let d = 0; d < 10; d += 1) {
    for (let i = 0; i < labeled; i += 1) files.push([`digits/${d}/${String(i).padStart(4, '0')}.png`, digit(d, random)]);
  }
  for (let i = 0; i < unlabeled; i += 1) files.push([`digits/unlabeled/${String(i).padStart(4, '0')}.png`, digit(i % 10, random)]);
  return zip(files);
}
