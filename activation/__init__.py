"""What marketers receive from a published release: segment lists (CSV and XLSX, consent
decided in dbt) with their manifest, and the marketer's HTML report. No Dagster imports."""
