"""Feed readers: pure functions from delivered bytes to typed frames, plus the bronze writer."""
