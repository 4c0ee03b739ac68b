"""Administrative units: importing boundary versions, the 2025 crosswalk, and which version
a code means on a day."""
