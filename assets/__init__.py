"""Asset definitions, one module per stage: discover, stage, validate, kpi, publish."""
