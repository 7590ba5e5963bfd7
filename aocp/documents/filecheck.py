"""What may be uploaded: names cleaned, types checked by content and extension, archives inspected."""
from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path, PurePosixPath

import filetype

# extension -> (content type served back, what the content must look like)
ALLOWED = {
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ooxml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ooxml"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "ppt": ("application/vnd.ms-powerpoint", "ole"),
    "txt": ("text/plain", "text"),
    "csv": ("text/csv", "text"),
    "md": ("text/markdown", "text"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpg"),
    "jpeg": ("image/jpeg", "jpg"),
    "zip": ("application/zip", "zip"),
}
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")

# Archive limits: enough for real reports, far below what a zip bomb expands to.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL = 2 * 1024 ** 3
ZIP_MAX_RATIO = 200


class Rejected(ValueError):
    """The file may not be stored; the message is shown to the user."""


def clean_name(name: str) -> str:
    """The original file name in any script, without paths, control, format (bidi) or separator characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = " ".join(name.split()).strip(". ")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "file"


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check(path: Path, name: str) -> str:
    """Check a stored file against its name; return the content type to serve it with, or raise Rejected."""
    ext = extension(name)
    if ext not in ALLOWED:
        raise Rejected(f"Files of type .{ext or '(none)'} cannot be shared. Allowed: "
                       + ", ".join(f".{e}" for e in sorted(ALLOWED)) + ".")
    content_type, kind = ALLOWED[ext]
    with open(path, "rb") as f:
        head = f.read(8192)
    if kind == "text":
        _check_text(path)
    elif kind == "ole":
        if not head.startswith(OLE_MAGIC):
            raise Rejected(f"This file's content is not a .{ext} document.")
    elif kind in ("ooxml", "zip"):
        if not zipfile.is_zipfile(path):
            raise Rejected(f"This file's content is not a .{ext} file.")
        names = check_archive(path)
        if kind == "ooxml" and not any(n.startswith(OOXML_PARTS[ext]) for n in names):
            raise Rejected(f"This file's content is not a .{ext} document.")
    else:
        guess = filetype.guess(head)
        if guess is None or guess.extension not in (kind, "jpeg" if kind == "jpg" else kind):
            raise Rejected(f"This file's content is not a .{ext} file.")
    return content_type


def _check_text(path: Path) -> None:
    with open(path, "rb") as f:
        data = f.read(1024 * 1024)
    if b"\x00" in data:
        raise Rejected("This text file contains binary data.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(data) - 4:  # a multi-byte character cut at the sample's end is fine
            raise Rejected("Text files must be UTF-8 encoded.") from None


def check_archive(path: Path) -> list[str]:
    """Refuse zip bombs (too many entries, too large or too compressed) and entries escaping their folder."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Rejected("This archive is damaged.") from None
    if len(infos) > ZIP_MAX_ENTRIES:
        raise Rejected(f"This archive holds more than {ZIP_MAX_ENTRIES} files.")
    total = 0
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or ":" in info.filename:
            raise Rejected("This archive contains a file with an unsafe path.")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > ZIP_MAX_RATIO and info.file_size > 1024 ** 2:
            raise Rejected("This archive is compressed suspiciously much (a possible zip bomb).")
    if total > ZIP_MAX_TOTAL:
        raise Rejected("This archive would expand to more than 2 GB.")
    return [i.filename for i in infos]

