"""`make bench`: benchmarks run against the real local servers, with their baselines, side by side."""
