"""The floor: a bare Flask app with one route, served by the same gunicorn settings as AOCP in bench.load."""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
