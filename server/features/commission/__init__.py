"""Commission: plans, quotas, the ledger each order credits, statements, the rep's summary."""
