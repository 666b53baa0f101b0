"""What staff see: page functions and components, per domain. No database, no rules."""
