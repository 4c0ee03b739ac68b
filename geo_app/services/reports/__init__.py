"""Report data: province targets (goals per year, planned vs achieved) and a campaign's monthly
report. Plain functions over a session; the pages, the CLI and the printed reports read them."""
