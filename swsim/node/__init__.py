"""The node runtime shared by every simulated party (customs, tax, foreign stubs, scripted traders).

A node consumes its inbox, handles each message once, keeps its state in its own store, and sends through an
outbox that keeps every message until the gateway's receipt arrives (re-sent with the same MessageID after a
timeout or a restart)."""
