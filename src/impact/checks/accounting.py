"""Row accounting: for every export, rows read = kept + quarantined + excluded, by reason;
the identity is checked on every entry and again when the table is built.
"""

from __future__ import annotations

import pandas as pd

from impact.errors import DataError


def account(merged: pd.DataFrame, source: str, programme: str, wave: str) -> dict:
    """Row accounting of one export: read = kept + quarantined + excluded, by reason."""
    counts = merged["outcome"].value_counts()
    by_exclusion = merged.loc[merged["outcome"] == "excluded", "exclusion"].value_counts()
    quarantined = merged.loc[merged["outcome"] == "quarantined", ["row_id", "checks"]]
    families = quarantined.assign(family=quarantined["checks"].str.split()).explode("family")
    families["family"] = families["family"].str.split(":").str[0]
    # a row counts once per check family (three "incomplete" checks are one incomplete row)
    by_check = families.drop_duplicates(["row_id", "family"])["family"].value_counts()
    entry = {
        "programme": programme, "wave": wave, "file": source, "read": int(len(merged)),
        "kept": int(counts.get("kept", 0)), "quarantined": int(counts.get("quarantined", 0)),
        "excluded": int(counts.get("excluded", 0)),
        "kept_by_decision": int(merged["waived"].fillna(False).sum()),
        "excluded_by_reason": {k: int(v) for k, v in sorted(by_exclusion.items())},
        "quarantine_checks": {k: int(v) for k, v in sorted(by_check.items())},
    }
    check_identity(entry)
    return entry


def check_identity(entry: dict) -> None:
    """Nothing lost: stop if read ≠ kept + quarantined + excluded."""
    total = entry["kept"] + entry["quarantined"] + entry["excluded"]
    if entry["read"] != total or sum(entry["excluded_by_reason"].values()) != entry["excluded"]:
        raise DataError(f"Comptage des lignes incohérent pour {entry['file']} : {entry['read']} "
                        f"lues ≠ {entry['kept']} conservées + {entry['quarantined']} en "
                        f"quarantaine + {entry['excluded']} exclues. Signalez ce bogue.")


def accounting_table(entries: list[dict]) -> pd.DataFrame:
    """Tidy row accounting: one row per export × outcome × reason, identity re-checked.

    Columns: programme, wave, file, outcome (read, kept, quarantined, excluded), reason (empty
    for totals; exclusion rule or check family otherwise — a quarantined row failing several
    checks counts once in ``quarantined`` and once per check family), rows.
    """
    rows = []
    for entry in entries:
        check_identity(entry)
        head = {k: entry[k] for k in ("programme", "wave", "file")}
        for outcome in ("read", "kept", "quarantined", "excluded"):
            rows.append({**head, "outcome": outcome, "reason": "", "rows": entry[outcome]})
        if entry.get("kept_by_decision"):
            rows.append({**head, "outcome": "kept", "reason": "kept_by_decision",
                         "rows": entry["kept_by_decision"]})
        for reason, n in entry["excluded_by_reason"].items():
            rows.append({**head, "outcome": "excluded", "reason": reason, "rows": n})
        for reason, n in entry["quarantine_checks"].items():
            rows.append({**head, "outcome": "quarantined", "reason": reason, "rows": n})
    return pd.DataFrame(rows, columns=["programme", "wave", "file", "outcome", "reason", "rows"])
