"""Thin Flask layer: parse and validate input, call one service, render the result."""
