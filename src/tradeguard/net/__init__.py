"""The network edge: the wall clock and the exchange's clock, the HTTP client, rate limits
and the breaker."""
