"""The live dashboard served by the gateway: network, consignment timelines, risk alerts, dead letters, charts and
the tax dual channel (static page and script in ``static/``, no third-party JavaScript)."""
