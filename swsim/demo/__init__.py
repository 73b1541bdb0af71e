"""Demo scenarios played over the real (embedded) broker through the gateway and the customs nodes."""
