"""The sample generator: partner deliveries calibrated to the 2021 Mali report, for the demo,
the tests and the benchmarks. Not part of the runtime (see samples/pyproject.toml)."""
