#!/usr/bin/env python3
"""Build the self-hosted Chinese UI font for OneScreen (build-time only).

What it makes
    WOFF2 subsets of Noto Sans CJK SC (SIL Open Font Licence 1.1), weights 400
    and 700, split by unicode-range the way Google Fonts does, so a page only
    downloads the slices whose characters it actually shows:

        slice 0     Basic Latin, Latin-1, General Punctuation, CJK Symbols and
                    Punctuation (U+3000-303F), Halfwidth/Fullwidth Forms
                    (U+FF00-FFEF) and a few dashboard symbols
                    (°, ±, ×, ÷, ≤, ≥, →, ↑, ↓, ·, …, %, ‰, ℃, ㎡, ㎞ ...)
        slices 1-4  the 3,755 GB2312 level-1 hanzi (rows 16-55), in GB2312 order
        slices 5-7  the 3,008 GB2312 level-2 hanzi (rows 56-87), in GB2312 order

    Outputs, all in assets/fonts/ unless noted:
        noto-sans-sc-{400,700}-{0..7}.woff2
        OFL.txt                  copyright notice + SIL OFL 1.1 text
        ../01-fonts.css          @font-face rules, font-family "Noto Sans SC",
                                 font-display: swap, relative url(fonts/...)

    Hanzi outside GB2312 (rare names, traditional forms) are not covered; the
    CSS font stack must keep a system fallback after "Noto Sans SC".

From which source files
    Debian's fonts-noto-cjk package (only needed when rebuilding, never at run
    time):
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc   (weight 400)
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc      (weight 700)
    The SC face inside each collection is picked by its name table (family
    "Noto Sans CJK SC"), not by index. The OFL text is taken from
    /usr/share/doc/fonts-noto-cjk/copyright, the copyright line from name ID 0.

Subsetting choices
    fontTools' default OpenType layout features are kept (kern, liga, locl,
    ccmp, palt, ...) minus the vertical-writing ones (vert, vrt2, ...), and the
    vertical metrics tables (vhea, vmtx, VORG) are dropped: the UI is
    horizontal only. Before subsetting, the GSUB/GPOS language systems other
    than the default and ZHS (JAN, KOR, ZHT, ZHH) are removed: their 'locl'
    lookups would otherwise pull Japanese/Korean/Traditional glyph variants
    into every hanzi slice and nearly double its size, for forms an SC UI never
    shows (text is always drawn with the SC glyphs, whatever the page's lang). Hinting is dropped and CFF is desubroutinized (compresses
    better under WOFF2). head.modified is kept from the source, so reruns
    produce byte-identical files.

How to rerun
    apt-get install -y fonts-noto-cjk
    .venv/bin/pip install fonttools brotli
    .venv/bin/python scripts/subset_font.py [--jobs N]

    It prints a table of the files written and their sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONTS_DIR = ASSETS / "fonts"
CSS_PATH = ASSETS / "01-fonts.css"
OFL_PATH = FONTS_DIR / "OFL.txt"

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCES = {400: SOURCE_DIR / "NotoSansCJK-Regular.ttc", 700: SOURCE_DIR / "NotoSansCJK-Bold.ttc"}
SOURCE_FAMILY = "Noto Sans CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

CSS_FAMILY = "Noto Sans SC"
FILE_STEM = "noto-sans-sc"

LEVEL1_SLICES = 4
LEVEL2_SLICES = 3

VERTICAL_FEATURES = {"vert", "vrt2", "valt", "vhal", "vkrn", "vpal", "vchw", "vjmo"}
VERTICAL_TABLES = ["vhea", "vmtx", "VORG"]
KEEP_LANGSYS = {"ZHS"}  # plus each script's default language system


# --------------------------------------------------------------------------- slices


def slice0_codepoints() -> set[int]:
    cps: set[int] = set()
    cps.update(range(0x0020, 0x007F))  # Basic Latin (printable)
    cps.update(range(0x00A0, 0x0100))  # Latin-1 Supplement: ° ± × ÷ · ...
    cps.update(range(0x2000, 0x2070))  # General Punctuation: … ‰ ‘ ’ “ ” — ...
    cps.update(range(0x3000, 0x3040))  # CJK Symbols and Punctuation: 、。「」《》...
    cps.update(range(0xFF00, 0xFFF0))  # Halfwidth and Fullwidth Forms
    # symbols commonly seen on dashboards
    cps.update(ord(c) for c in "%°±×÷·…‰")
    cps.update(ord(c) for c in "←↑→↓↔↕")  # arrows
    cps.update(ord(c) for c in "−≈≠≤≥∞√∑")  # maths
    cps.update(ord(c) for c in "℃℉№™")  # letterlike
    cps.update(ord(c) for c in "㎎㎏㎜㎝㎞㎡㏄")  # CJK compatibility units
    cps.update(ord(c) for c in "①②③④⑤⑥⑦⑧⑨⑩")  # circled numbers
    cps.update(ord(c) for c in "■□▲△▼▽◆◇○●★☆")  # geometric shapes
    return cps


def gb2312_hanzi(first_row: int, last_row: int) -> list[int]:
    """Hanzi of GB2312 rows first_row..last_row, in GB2312 (pinyin/radical) order.

    Row r is lead byte 0xA0 + r; cells are trail bytes 0xA1..0xFE. Empty cells
    (e.g. the end of row 55) are rejected by the codec and skipped.
    """
    out = []
    for row in range(first_row, last_row + 1):
        for cell in range(0xA1, 0xFF):
            try:
                ch = bytes([0xA0 + row, cell]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ord(ch))
    return out


def split_even(items: list[int], n: int) -> list[list[int]]:
    k, m = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + k + (1 if i < m else 0)
        out.append(items[start:end])
        start = end
    return out


def build_slices() -> list[set[int]]:
    level1 = gb2312_hanzi(16, 55)
    level2 = gb2312_hanzi(56, 87)
    assert len(level1) == 3755, len(level1)
    assert len(level2) == 3008, len(level2)
    slices = [slice0_codepoints()]
    slices += [set(s) for s in split_even(level1, LEVEL1_SLICES)]
    slices += [set(s) for s in split_even(level2, LEVEL2_SLICES)]
    seen: set[int] = set()
    for s in slices:  # unicode-ranges must not overlap
        assert not (s & seen)
        seen |= s
    return slices


def unicode_range(cps: set[int]) -> str:
    """CSS unicode-range value: consecutive code points merged into ranges."""
    parts = []
    ordered = sorted(cps)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        a, b = ordered[i], ordered[j]
        parts.append(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}")
        i = j + 1
    return ",".join(parts)


# --------------------------------------------------------------------------- fonts


def find_face_index(path: Path, family: str) -> int:
    """Index of the face in a .ttc whose typographic/legacy family is `family`."""
    coll = TTCollection(str(path), lazy=True)
    try:
        for i, font in enumerate(coll.fonts):
            name = font["name"]
            names = {name.getDebugName(16), name.getDebugName(1)}
            if family in names:
                return i
    finally:
        coll.close()
    raise SystemExit(f"{path}: no face named {family!r}")


def prune_language_systems(font: TTFont) -> None:
    """Drop non-SC language systems so their locl variants are not kept."""
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for rec in font[tag].table.ScriptList.ScriptRecord:
            script = rec.Script
            script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag.strip() in KEEP_LANGSYS]
            script.LangSysCount = len(script.LangSysRecord)


def subset_options() -> subset.Options:
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.layout_features = [f for f in opts.layout_features if f not in VERTICAL_FEATURES]
    opts.drop_tables = list(opts.drop_tables) + VERTICAL_TABLES
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright + licence fields
    opts.notdef_outline = True
    opts.recalc_timestamp = False
    return opts


def make_subset(job: tuple[Path, int, list[int], Path]) -> tuple[Path, list[int]]:
    """Subset one slice; returns the output path and the code points it covers."""
    src, index, cps, out = job
    font = TTFont(str(src), fontNumber=index, recalcTimestamp=False, lazy=False)
    cmap = font.getBestCmap()
    covered = sorted(cp for cp in cps if cp in cmap)
    prune_language_systems(font)
    opts = subset_options()
    sub = subset.Subsetter(options=opts)
    sub.populate(unicodes=covered)
    sub.subset(font)
    subset.save_font(font, str(out), opts)
    font.close()
    return out, covered


def write_ofl(src: Path, index: int) -> None:
    font = TTFont(str(src), fontNumber=index, lazy=True)
    copyright_line = font["name"].getDebugName(0) or ""
    font.close()
    text = DEBIAN_COPYRIGHT.read_text(encoding="utf-8")
    m = re.search(r"^License: SIL-1\.1\n((?:[ \t].*\n)+)", text, re.M)
    if not m:
        raise SystemExit(f"OFL text not found in {DEBIAN_COPYRIGHT}")
    body = [line[1:] if line.startswith(" ") else line for line in m.group(1).splitlines()]
    body = ["" if line == "." else line for line in body]
    header = [
        "Noto Sans CJK SC (subset to WOFF2 for OneScreen by scripts/subset_font.py)",
        copyright_line,
        "Source: https://github.com/notofonts/noto-cjk (via Debian package fonts-noto-cjk)",
        "",
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "This license is copied below, and is also available with a FAQ at:",
        "https://openfontlicense.org",
        "",
        "",
    ]
    OFL_PATH.write_text("\n".join(header + body).rstrip() + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1))
    args = ap.parse_args()

    for p in [*SOURCES.values(), DEBIAN_COPYRIGHT]:
        if not p.exists():
            raise SystemExit(f"missing {p}: apt-get install -y fonts-noto-cjk")
    FONTS_DIR.mkdir(parents=True, exist_ok=True)

    slices = build_slices()
    jobs = []
    for weight, src in SOURCES.items():
        index = find_face_index(src, SOURCE_FAMILY)
        for n, cps in enumerate(slices):
            jobs.append((src, index, sorted(cps), FONTS_DIR / f"{FILE_STEM}-{weight}-{n}.woff2"))

    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(make_subset, jobs))

    css = [
        "/* Generated by scripts/subset_font.py - do not edit by hand.",
        "   Noto Sans CJK SC subsets, SIL Open Font License 1.1 (see fonts/OFL.txt). */",
        "",
    ]
    for (src, _, _, _), (out, covered) in zip(jobs, results, strict=True):
        weight = next(w for w, s in SOURCES.items() if s == src)
        css += [
            "@font-face {",
            f'  font-family: "{CSS_FAMILY}";',
            "  font-style: normal;",
            f"  font-weight: {weight};",
            "  font-display: swap;",
            f'  src: url(fonts/{out.name}) format("woff2");',
            f"  unicode-range: {unicode_range(set(covered))};",
            "}",
        ]
    CSS_PATH.write_text("\n".join(css) + "\n", encoding="utf-8")
    write_ofl(SOURCES[400], find_face_index(SOURCES[400], SOURCE_FAMILY))

    total = 0
    print(f"{'file':<40} {'chars':>6} {'bytes':>10}")
    for out, covered in results:
        size = out.stat().st_size
        total += size
        print(f"{out.relative_to(ROOT)!s:<40} {len(covered):>6} {size:>10,}")
    for extra in (CSS_PATH, OFL_PATH):
        print(f"{extra.relative_to(ROOT)!s:<40} {'':>6} {extra.stat().st_size:>10,}")
    print(f"{'total woff2':<40} {'':>6} {total:>10,}  ({total / 1024 / 1024:.2f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
