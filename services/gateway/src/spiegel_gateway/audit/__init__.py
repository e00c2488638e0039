"""The append-only audit log: reads of reports and POPs, authorisation failures, operators' acts."""
