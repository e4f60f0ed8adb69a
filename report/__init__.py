"""The docs' generated sections: one home per measured figure, rendered from the report
snapshots."""
