"""The shared single-window gateway (issue 3: not built yet)."""
