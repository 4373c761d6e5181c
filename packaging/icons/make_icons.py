#!/usr/bin/env python3
"""Draws Inkan's icon (a vermilion round seal, 印) as RGBA PNGs, with no
dependency beyond the standard library. Run from this folder to regenerate."""
import math, struct, zlib

VERMILION = (0xC8, 0x32, 0x1E)

def seal(size):
    px = bytearray()
    c = (size - 1) / 2.0
    r_out, r_ring_o, r_ring_i = 0.48 * size, 0.42 * size, 0.38 * size
    # A simplified 印: a left hook and a right bracket, as boxes in unit coordinates.
    strokes = [
        (0.30, 0.30, 0.36, 0.70), (0.30, 0.30, 0.46, 0.36), (0.30, 0.47, 0.46, 0.53),
        (0.30, 0.64, 0.46, 0.70), (0.54, 0.30, 0.70, 0.36), (0.64, 0.30, 0.70, 0.62),
        (0.54, 0.30, 0.60, 0.76), (0.58, 0.56, 0.70, 0.62),
    ]
    for y in range(size):
        px.append(0)  # PNG filter type: none
        for x in range(size):
            d = math.hypot(x - c, y - c)
            # 2x2 supersampling at the disc edge keeps small sizes smooth.
            cover = sum(1 for dx in (0.25, 0.75) for dy in (0.25, 0.75)
                        if math.hypot(x + dx - 0.5 - c, y + dy - 0.5 - c) <= r_out) / 4.0
            u, v = x / size, y / size
            white = r_ring_i <= d <= r_ring_o or any(a <= u <= b and e <= v <= f for a, e, b, f in strokes)
            rgb = (0xFF, 0xF8, 0xF0) if white else VERMILION
            px += bytes(rgb) + bytes([int(255 * cover)])
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(px), 9)) + chunk(b"IEND", b"")

for name, size in [("32x32.png", 32), ("128x128.png", 128), ("256x256.png", 256), ("icon.png", 512)]:
    with open(name, "wb") as f:
        f.write(seal(size))

# Windows (.ico) and macOS (.icns) icons for the msi/dmg release configuration:
# both formats may hold PNG images as they are.
pngs = {s: seal(s) for s in (32, 128, 256, 512)}
ico_sizes = (32, 128, 256)
offset = 6 + 16 * len(ico_sizes)
header, body = struct.pack("<HHH", 0, 1, len(ico_sizes)), b""
for s in ico_sizes:
    # Width/height 0 means 256 in an ICONDIRENTRY.
    header += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(pngs[s]), offset + len(body))
    body += pngs[s]
with open("icon.ico", "wb") as f:
    f.write(header + body)
icns = b"".join(kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s]
                for kind, s in ((b"ic07", 128), (b"ic08", 256), (b"ic09", 512)))
with open("icon.icns", "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(icns)) + icns)
