"""The benchmark suite of issue 8: the real server over HTTP on a region-year of data."""
