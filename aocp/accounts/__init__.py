"""People: accounts, sign-in, second factor, invitations, tokens."""
