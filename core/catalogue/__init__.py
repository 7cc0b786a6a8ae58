"""Service items (事项), enablement per region and channel, search, forms and materials."""
