"""Chongqing and Sichuan tax nodes and the dual channel (issue 5: not built yet)."""
