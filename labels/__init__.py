"""Pure label renderers and GS1 helpers: plain data in, bytes or text out; no wms imports."""
