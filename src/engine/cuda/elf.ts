// The dynamic section of an ELF64 shared library: its soname, run paths and the libraries it
// needs (DT_NEEDED), read from the section headers without loading the file (the CUDA provider is
// 230 MB). What `readelf -d` prints, for telling a user which CUDA library is missing.

import { closeSync, openSync, readSync } from "node:fs";

export interface DynamicInfo {
  soname?: string;
  needed: string[];
  runpath: string[];
}

const SHT_DYNAMIC = 6;
const DT_NEEDED = 1n;
const DT_RPATH = 15n;
const DT_SONAME = 14n;
const DT_RUNPATH = 29n;

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, b, got, length - got, offset + got);
    if (n === 0) throw new Error(`truncated at byte ${offset + got}`);
    got += n;
  }
  return b;
}

export function readDynamic(path: string): DynamicInfo {
  const fd = openSync(path, "r");
  try {
    const h = readAt(fd, 0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    if (h[4] !== 2 || h[5] !== 1) throw new Error(`${path} is not a little-endian 64-bit ELF file`);
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    const sections = readAt(fd, shoff, shentsize * shnum);
    const section = (i: number) => {
      const o = i * shentsize;
      return { type: sections.readUInt32LE(o + 4), offset: Number(sections.readBigUInt64LE(o + 0x18)), size: Number(sections.readBigUInt64LE(o + 0x20)), link: sections.readUInt32LE(o + 0x28) };
    };
    let dyn: ReturnType<typeof section> | undefined;
    for (let i = 0; i < shnum && !dyn; i++) if (section(i).type === SHT_DYNAMIC) dyn = section(i);
    if (!dyn) return { needed: [], runpath: [] };
    const strtab = section(dyn.link);
    const strings = readAt(fd, strtab.offset, strtab.size);
    const str = (off: number) => strings.toString("utf8", off, strings.indexOf(0, off));
    const entries = readAt(fd, dyn.offset, dyn.size);
    const out: DynamicInfo = { needed: [], runpath: [] };
    for (let o = 0; o + 16 <= entries.length; o += 16) {
      const tag = entries.readBigInt64LE(o);
      if (tag === 0n) break;
      const val = Number(entries.readBigUInt64LE(o + 8));
      if (tag === DT_NEEDED) out.needed.push(str(val));
      else if (tag === DT_SONAME) out.soname = str(val);
      else if (tag === DT_RUNPATH || tag === DT_RPATH) out.runpath.push(...str(val).split(":").filter(Boolean));
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
