"""Panels and small building blocks, each with its own callbacks."""
