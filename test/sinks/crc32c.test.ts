import { expect, test } from "bun:test";
import { crc32c, maskedCrc32c } from "../../src/runtime/sinks/crc32c.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

test("CRC-32C matches the published check value and the iSCSI (RFC 3720 B.4) vectors", () => {
  expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  expect(crc32c(new Uint8Array(0))).toBe(0);
});

test("the masked CRC is TFRecord's: rotate right 15, add 0xa282ead8, and unmasks back", () => {
  for (const s of ["", "123456789", "brain.Event:2"]) {
    const m = maskedCrc32c(ascii(s));
    const rot = (m - 0xa282ead8) >>> 0;
    expect(((rot >>> 17) | (rot << 15)) >>> 0).toBe(crc32c(ascii(s)));
  }
  expect(maskedCrc32c(ascii("123456789"))).not.toBe(crc32c(ascii("123456789")));
});
