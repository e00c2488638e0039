"""What the operators see of the platform: the hospitals with their counts, and the services' health."""
