"""Answering an item: the canned-response library, reply suggestions, the tone check and sending."""
