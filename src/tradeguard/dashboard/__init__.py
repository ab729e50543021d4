"""The live web dashboard: the view of the journal it shows, the journal tail it reads, /metrics."""
