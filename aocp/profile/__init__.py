"""A person's own account: password, second factor, sessions and API tokens."""
