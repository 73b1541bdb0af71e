"""Chongqing customs node, 关区 8000 (issue 4: not built yet)."""
