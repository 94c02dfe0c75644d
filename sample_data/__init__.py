"""Sample exports for the demo, the tests and the benchmarks: a fictional brand's Shopify,
Cafe24, SmartStore, CRM and SNS files, in each tool's real layout, deterministic for a seed.

Not part of the pipeline: it writes into a landing folder exactly as a brand would."""
