"""Traffic generation, record/replay and load tests (issue 6: not built yet)."""
