"""Pure customs rules and documents: plain data in, results out; no wms imports."""
