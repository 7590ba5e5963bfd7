"""My AOCP: the signed-in person's home page, one panel per kind of work that is theirs to do.

Each panel module offers functions `(user, today) -> Panel | None`; `panels.panels_for` lists them in the order
the page shows them. A panel reads a bounded number of rows with a bounded number of statements, so the page
costs the same whatever the data size; its full list is a paginated page of its own (`Panel.more_url`).
"""
