"""Cases (办件): workflow, working-day time limits, supervision, workbench, bundles (一件事一次办)."""
