"""Folium map assembly: turns layer specs and their GeoJSON into a page's map components."""
