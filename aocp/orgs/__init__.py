"""Organisations (Member States, ASEC, partners) and the bodies they meet in."""
