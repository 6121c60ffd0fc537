"""The deterministic demo data generator: the 12 pilot schools with a year of journal."""

from db.seed.demo import DemoAccount, DemoSummary, seed_demo

__all__ = ["DemoAccount", "DemoSummary", "seed_demo"]
