"""Example Python tasks for currant (deployed by the CDK app; see python/README.md)."""
