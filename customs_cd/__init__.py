"""Chengdu customs node, 关区 7900 (issue 4: not built yet)."""
