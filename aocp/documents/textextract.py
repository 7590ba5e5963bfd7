"""Text inside uploaded files, for search: PDF, DOCX, XLSX and plain text. Failures yield no text, never an error."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

MAX_CHARS = 500_000  # enough for a long report; keeps the index and the row small
MAX_PDF_PAGES = 300
MAX_XLSX_CELLS = 200_000


def extract(path: Path, ext: str) -> str:
    """Plain text of the file, at most MAX_CHARS characters ('' when the type has none or it cannot be read)."""
    reader = _READERS.get(ext)
    if reader is None:
        return ""
    try:
        text = reader(path)
    except Exception:  # a damaged or hostile file must not break the upload
        log.warning("could not extract text from a .%s file", ext, exc_info=True)
        return ""
    return " ".join(text.split())[:MAX_CHARS]


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    parts, size = [], 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        parts.append(page.extract_text() or "")
        size += len(parts[-1])
        if size > MAX_CHARS:
            break
    return "\n".join(parts)


def _docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _xlsx(path: Path) -> str:
    from openpyxl import load_workbook

    parts, cells = [], 0
    # A file object, not the path: openpyxl refuses a path without an .xlsx extension, and stored files have none.
    with open(path, "rb") as f:
        wb = load_workbook(f, read_only=True, data_only=True)
        try:
            for sheet in wb.worksheets:
                parts.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    parts.extend(str(v) for v in row if v is not None)
                    cells += len(row)
                    if cells > MAX_XLSX_CELLS:
                        return " ".join(parts)
        finally:
            wb.close()
    return " ".join(parts)


def _text(path: Path) -> str:
    with open(path, "rb") as f:
        return f.read(MAX_CHARS * 4).decode("utf-8", errors="replace")


_READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "txt": _text, "csv": _text, "md": _text}
