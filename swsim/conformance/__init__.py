"""The conformance kit: an integration team's own system plays one node (``swsim conformance``)."""
