"""Mapbox vector tiles: rendering a tile from a layer's SQL, the tile cache, and the simplified
geometry bands the tiles draw from."""
