"""Model Monitor: monitoring executions over captured traffic, drift checks, alerts."""
