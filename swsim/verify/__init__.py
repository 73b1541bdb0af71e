"""`swsim verify`: reliability and security shown by counting (faults survived, hostile input refused, fuzzing,
authorization), against the embedded broker."""
