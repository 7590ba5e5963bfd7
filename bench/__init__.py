"""Benchmarks kept with the code: SQL statements per request as data grows, and worker memory on large files."""
