"""The customs engine: one implementation, configured per office (customs_cq: 8000, customs_cd: 7900, others)."""
