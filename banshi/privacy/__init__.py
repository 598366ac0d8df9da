"""Personal data: validate, mask, encrypt at rest, capability links and retention (issue 19)."""
