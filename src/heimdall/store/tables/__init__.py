"""Every table, one module per resource. Importing this package registers them on Base.metadata."""
