"""SLO files (SPEC §10 "As code"): the native target list and OpenSLO v1, read and written."""
