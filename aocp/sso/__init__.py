"""Single sign-on with OpenID Connect providers configured by ASEC."""
