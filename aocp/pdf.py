"""PDF documents with fpdf2 in the platform's fonts, for every ASEAN script.

Sarabun covers Latin, Vietnamese and Thai; Noto Sans Khmer, Lao and Myanmar, Droid Sans Fallback (Chinese) and
Noto Sans CJK KR (Hangul) are tried in turn for characters it lacks, and HarfBuzz places the marks of the scripts
that need it. The fonts ship in aocp/static/fonts/ (never fetched at run time).
"""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "static" / "fonts"
FAMILY = "Sarabun"
FALLBACK_FONTS = {"NotoSansKhmer": "NotoSansKhmer-Regular.ttf", "NotoSansLao": "NotoSansLao-Regular.ttf",
                  "NotoSansMyanmar": "NotoSansMyanmar-Regular.ttf",
                  "DroidSansFallback": "DroidSansFallback-GB2312.ttf", "NotoSansKR": "NotoSansKR-KSX1001.ttf"}


def use_platform_fonts(pdf: FPDF) -> FPDF:
    """Register Sarabun (regular and bold) and the fallbacks on `pdf` and turn on text shaping."""
    pdf.add_font(FAMILY, "", FONTS / "Sarabun-Regular.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "Sarabun-Bold.ttf")
    for family, filename in FALLBACK_FONTS.items():
        pdf.add_font(family, "", FONTS / filename)
    pdf.set_fallback_fonts(list(FALLBACK_FONTS), exact_match=False)
    pdf.set_text_shaping(True)  # Thai, Khmer, Lao and Myanmar need their marks placed by HarfBuzz
    pdf.set_font(FAMILY, "", 10)
    return pdf
