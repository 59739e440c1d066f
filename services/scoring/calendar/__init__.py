"""The holiday calendar: each year's State Council arrangement, loaded by an office (issue 21, item 20)."""
