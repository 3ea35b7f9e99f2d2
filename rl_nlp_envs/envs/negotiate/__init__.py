"""Negotiate-v0: two agents bargain over a pool of items (PettingZoo; see ``negotiate_v0``)."""
