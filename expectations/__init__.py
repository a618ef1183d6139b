"""Great Expectations suites kept as code, and the runner that validates frames with them."""
