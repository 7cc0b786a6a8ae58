"""In-tree service plugins, one package each, loaded through the zhushida.plugins entry points."""
