"""ifelse."""
