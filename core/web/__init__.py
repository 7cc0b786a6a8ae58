"""HTTP plumbing shared by every router: error format, request ids, metrics, logging."""
