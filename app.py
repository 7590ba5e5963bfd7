"""Entry point: `flask --app app ...` and `gunicorn app:app`."""
from aocp import create_app

app = create_app()
