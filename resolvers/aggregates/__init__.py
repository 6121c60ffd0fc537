"""District and region figures (aggregates), one statement per section."""
