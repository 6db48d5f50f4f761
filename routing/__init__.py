"""Pure planner (courier selection, consolidation); plain dataclasses in, a plan out.

Nothing here imports wms/.  The planner itself arrives with its own issue; the hub
does not call into this package yet.
"""
