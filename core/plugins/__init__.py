"""The plugin host (pluggy): hook specifications, typed records, loading and conformance.

Plugin authors import from :mod:`core.hooks` only; everything here is the host's side.
"""
