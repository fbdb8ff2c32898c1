"""The hypothesis settings of the fuzz tests: a fixed, repeatable set of 30 examples per test in
the per-commit suite; KEHU_FUZZ_EXAMPLES=N (`make fuzz`: 500) draws N random ones instead."""

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("KEHU_FUZZ_EXAMPLES", "30"))
fuzz = settings(
    max_examples=EXAMPLES,
    derandomize="KEHU_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
