"""Every write of the journal. Each action validates, changes rows and records its outbox event in one
transaction, so the integration never sees a change that did not happen or misses one that did."""
