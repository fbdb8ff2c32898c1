"""Settings of bench/load.py's server: Kehu's own, with a URLconf that adds the bare view the
load is measured against (/_bare/). The product's URLs are untouched."""

from kehu.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
