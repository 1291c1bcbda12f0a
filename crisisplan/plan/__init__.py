"""The plan as data: schema, loading with positions, validation."""
