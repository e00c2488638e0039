"""Spiegel's survey service: instruments, evaluation rounds and responses."""
