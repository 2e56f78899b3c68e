"""Stand-in for the `frappe` package, only as far as frappe.utils.bench_helper needs it (test/fakebench)."""
