"""Ratings (好差评): one per case, rectification of bad ratings, appeals, defaults."""
