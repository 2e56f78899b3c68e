"""Stand-in `frappe` package of the real-engine window test's image (test/engine/fakes/bench)."""
