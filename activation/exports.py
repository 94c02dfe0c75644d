"""Segment lists for marketers: the audience dbt cleared for consent, cut once more by the global
suppression list, written owner-only as CSV (UTF-8 with BOM) and XLSX, with a manifest.

Everything here reads `<home>/restricted/contacts.duckdb` and writes files under
`<home>/exports/`; nothing is written to any warehouse, so no contact point can reach BI.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import phonenumbers
from openpyxl import Workbook

from activation.segments import SegmentRule
from ingest.contacts import to_e164

MANIFEST = "manifest.json"
# Why someone in a segment is not in its list, in the order they are checked.
EXCLUSION_REASONS = (
    "no_contact",
    "no_consent",
    "unsubscribed",
    "bounced",
    "consent_expired",
    "suppressed",
    "no_night_consent",
)
LIST_COLUMNS = {
    "email": ["name", "email"],
    "sms": ["name", "phone_e164", "phone_local"],
    "kakao": ["name", "phone_e164", "phone_local"],
}
DETAIL_COLUMNS = [
    "segment",
    "reason",
    "rfm_segment",
    "recency_days",
    "frequency",
    "monetary",
    "night_consent",
    "consent_basis",
    "customer_id",
]
SUPPRESSION_HEADERS = {
    "email": {"email", "e-mail", "이메일"},
    "phone": {"phone", "mobile", "전화번호", "휴대폰", "휴대전화"},
}


class ExportError(ValueError):
    """A user-fixable problem with an export input (the suppression list); names file and line."""


@dataclass(frozen=True)
class SuppressionList:
    path: Path
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    found: bool = False

    def holds(self, email: str | None, phone_e164: str | None) -> bool:
        return (email is not None and email in self.emails) or (
            phone_e164 is not None and phone_e164 in self.phones
        )


def normalise_email(value: str) -> str | None:
    """As staging does (normalize_email macro): trimmed, lower-case, empty is none."""
    return value.strip().lower() or None


def load_suppression_list(path: Path, phone_region: str) -> SuppressionList:
    """The brand's do-not-contact list: a CSV with an email and/or a phone column."""
    if not path.exists():
        return SuppressionList(path=path)
    text = path.read_bytes().decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(rows, [])]
    columns = {
        kind: header.index(name)
        for kind, names in SUPPRESSION_HEADERS.items()
        for name in names
        if name in header
    }
    if not columns:
        raise ExportError(
            f"{path}, line 1: no email or phone column (header {header}); "
            "name a column `email` or `phone`"
        )
    emails, phones = set(), set()
    for line, row in enumerate(rows, start=2):
        email = row[columns["email"]] if "email" in columns and len(row) > columns["email"] else ""
        phone = row[columns["phone"]] if "phone" in columns and len(row) > columns["phone"] else ""
        if email.strip():
            emails.add(normalise_email(email))
        if phone.strip():
            e164 = to_e164(phone.strip(), phone_region)
            if e164 is None:
                raise ExportError(
                    f"{path}, line {line}, column phone: {phone!r} is not a phone number; "
                    "fix or remove it (nobody is exported until the list is readable)"
                )
            phones.add(e164)
    return SuppressionList(path, frozenset(emails), frozenset(phones), found=True)


def local_phone(phone_e164: str | None) -> str | None:
    """+821012345678 -> 010-1234-5678: the form Korean marketers type and read."""
    if not phone_e164:
        return None
    number = phonenumbers.parse(phone_e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _write_owner_only(path: Path, data: bytes) -> str:
    """Owner-only from the first byte (these files hold names and contact points); sha256."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # The BOM makes Excel read UTF-8, so Hangul names survive a double-click.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(sheet_title: str, header: list[str], rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    text_columns = {i for i, name in enumerate(header, start=1) if name.startswith("phone")}
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in text_columns:
                cell.number_format = "@"  # text: Excel keeps the + and the leading 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class SegmentList:
    rule: SegmentRule
    header: list[str]
    rows: list[list] = field(default_factory=list)
    members: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))

    @property
    def customer_ids(self) -> set[str]:
        return {row[-1] for row in self.rows}


def cut_segment_list(
    contacts: duckdb.DuckDBPyConnection, rule: SegmentRule, suppression: SuppressionList
) -> SegmentList:
    """Who of a segment may be contacted: dbt's consent verdict, then suppression and night."""
    header = LIST_COLUMNS[rule.channel] + DETAIL_COLUMNS
    result = SegmentList(rule=rule, header=header)
    audience = contacts.execute(
        """
        select customer_name, email, phone_e164, reason, exclusion_reason, night_consent,
            consent_basis, rfm_segment, recency_days, frequency, monetary, customer_id
        from restricted.segment_audience
        where segment_name = ? and channel = ?
        order by monetary desc nulls last, customer_id
        """,
        [rule.name, rule.channel],
    ).fetchall()
    for (
        name,
        email,
        phone,
        reason,
        exclusion,
        night_consent,
        consent_basis,
        rfm_segment,
        recency_days,
        frequency,
        monetary,
        customer_id,
    ) in audience:
        result.members += 1
        if exclusion is None and suppression.holds(email, phone):
            exclusion = "suppressed"
        if exclusion is None and rule.night_sending and not night_consent:
            exclusion = "no_night_consent"
        if exclusion is not None:
            result.excluded[exclusion] = result.excluded.get(exclusion, 0) + 1
            continue
        contact = [email] if rule.channel == "email" else [phone, local_phone(phone)]
        details = [rule.name, reason, rfm_segment, recency_days, frequency]
        details += [float(monetary) if monetary is not None else None, bool(night_consent)]
        result.rows.append([name, *contact, *details, consent_basis, customer_id])
    return result


def _previous_export(exports_dir: Path, current: Path, segment: str) -> Path | None:
    """The newest earlier export run (one with a manifest) that listed this segment."""
    earlier = sorted(
        (p for p in exports_dir.glob(f"*/{MANIFEST}") if p.parent.name < current.name),
        reverse=True,
    )
    for manifest in earlier:
        if segment in json.loads(manifest.read_text(encoding="utf-8"))["segments"]:
            return manifest.parent
    return None


def _customer_ids(list_csv: Path) -> set[str]:
    with list_csv.open(encoding="utf-8-sig", newline="") as handle:
        return {row["customer_id"] for row in csv.DictReader(handle)}


def export_run_folder(exports_dir: Path, run_id: str, now: dt.datetime) -> Path:
    """One folder per run, named so that sorting by name sorts by time."""
    return exports_dir / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{run_id[:8]}"


def write_segment_exports(
    restricted_db: Path,
    folder: Path,
    run_id: str,
    release_id: str | None,
    rules: list[SegmentRule],
    suppression: SuppressionList,
    now: dt.datetime,
) -> dict:
    """Write every segment's list (CSV + XLSX), the added/removed ids and manifest.json."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.parent.chmod(0o700)
    folder.mkdir(mode=0o700, exist_ok=True)
    manifest = {
        "run_id": run_id,
        "release_id": release_id,
        "created_at": now.isoformat(),
        "suppression_list": {
            "path": str(suppression.path),
            "found": suppression.found,
            "entries": len(suppression.emails) + len(suppression.phones),
        },
        "segments": {},
    }
    with duckdb.connect(str(restricted_db), read_only=True) as contacts:
        for rule in rules:
            listed = cut_segment_list(contacts, rule, suppression)
            files = {
                f"{rule.name}.csv": _csv_bytes(listed.header, listed.rows),
                f"{rule.name}.xlsx": _xlsx_bytes(rule.name, listed.header, listed.rows),
            }
            previous = _previous_export(folder.parent, folder, rule.name)
            diff = {"previous_export": previous.name if previous else None}
            if previous is not None:
                before, now_ids = _customer_ids(previous / f"{rule.name}.csv"), listed.customer_ids
                added, removed = sorted(now_ids - before), sorted(before - now_ids)
                diff |= {"added": len(added), "removed": len(removed)}
                diff["stayed"] = len(now_ids & before)
                files[f"{rule.name}.added.csv"] = _csv_bytes(["customer_id"], [[i] for i in added])
                files[f"{rule.name}.removed.csv"] = _csv_bytes(
                    ["customer_id"], [[i] for i in removed]
                )
            else:
                diff |= {"added": len(listed.rows), "removed": 0, "stayed": 0}
            checksums = {
                name: _write_owner_only(folder / name, data) for name, data in files.items()
            }
            manifest["segments"][rule.name] = {
                "description": rule.description,
                "channel": rule.channel,
                "night_sending": rule.night_sending,
                "definition_hash": rule.definition_hash,
                "members": listed.members,
                "people": len(listed.rows),
                "excluded": listed.excluded,
                "diff": diff,
                "files": checksums,
            }
    _write_owner_only(
        folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    )
    return manifest


def delete_old_exports(exports_dir: Path, retention_days: int, now: dt.datetime) -> list[str]:
    """Export folders older than the retention period are personal data kept too long."""
    if not exports_dir.exists():
        return []
    cutoff = (now - dt.timedelta(days=retention_days)).timestamp()
    deleted = []
    for folder in sorted(p for p in exports_dir.iterdir() if p.is_dir()):
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder)
            deleted.append(folder.name)
    return deleted
