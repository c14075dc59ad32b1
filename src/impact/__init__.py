"""Impact ITIP: impact measurement of the CMQ-E ICI outreach actions.

One subpackage per stage, imports pointing one way (DESIGN.md, « Layout »)::

    survey ← ingest ← checks ← linkage ─┐
                 stats ← indicators ← report        simulate (synthetic campaigns) uses any

:mod:`impact.stages` and :mod:`impact.report_stage` are the entry points the workflow's
scripts call; :mod:`impact.pipeline` chains the same calls in one process; :mod:`impact.cli`
is the ``impact`` command.
"""

__version__ = "0.1.0"
