# Impact ITIP — impact measurement of the CMQ-E ICI outreach actions.
# Stages: ingest -> validate -> link -> indicators -> report (see README.md).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/link.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/review.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
        export_outputs(),
        review_outputs(),
