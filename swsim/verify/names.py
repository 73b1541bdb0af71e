"""The parts and fault scenarios of ``swsim verify`` by name: what the command's options offer, importable without
the suite itself (which loads the whole exchange)."""

PARTS = ("faults", "hostile", "fuzz", "authz")
SCENARIOS = ("broker-killed", "gateway-killed", "node-killed-before-commit", "tax-channel-down", "slow-consumer")
