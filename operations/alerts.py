"""One message when a run needs a person: it failed, the quality gate blocked it, it published
with warnings, or a source family went stale. Sent through Apprise (email over SMTP, Slack,
Microsoft Teams, webhooks: one URL syntax); a destination that fails is reported, never raised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from operations.outcomes import RunOutcome, RunVerdict
from operations.status import StaleSource


@dataclass(frozen=True)
class Alert:
    title: str
    body: str
    # Apprise's kind of message: "failure" for a run that did not publish, else "warning".
    severity: str


@dataclass(frozen=True)
class Delivery:
    # The destination with its secrets masked (Apprise's privacy form): safe to log.
    destination: str
    delivered: bool


def run_alert(outcome: RunOutcome, stale: Sequence[StaleSource], home: str) -> Alert | None:
    """The message for this run, or None when it published cleanly and every source is fresh."""
    verdict = outcome.verdict
    lines = []
    if verdict in (RunVerdict.FAILED, RunVerdict.BLOCKED):
        if outcome.published:
            lines.append(
                f"Run {outcome.run_id} published release {outcome.release_id}, but its segment"
                " lists or report were not written: marketers must not use the previous ones."
            )
        else:
            lines.append(
                f"Run {outcome.run_id} {verdict}: nothing was published; BI tools keep reading"
                " the release they read before."
            )
        lines += [f"- {problem}" for problem in outcome.problems]
        if outcome.anomaly_blocked:
            lines.append(
                "If this change is expected (a new shop, a backfill), run again with"
                " `dangol run --accept-anomalies`."
            )
    elif verdict == RunVerdict.WARNED:
        lines.append(f"Run {outcome.run_id} published release {outcome.release_id} with warnings:")
        lines += [f"- {warning}" for warning in outcome.warnings]
    if stale:
        lines.append("Stale sources (no new export file within the days `freshness:` allows):")
        lines += [f"- {source.describe()}" for source in stale]
    if not lines:
        return None
    if outcome.quality_report:
        lines.append(f"Quality report: {outcome.quality_report}")
    lines.append(f"Dangol home: {home} (`dangol status --home {home}`)")
    if verdict in (RunVerdict.FAILED, RunVerdict.BLOCKED, RunVerdict.WARNED):
        title = f"Dangol run {verdict}"
    else:
        title = f"Dangol: {len(stale)} stale source(s)"
    severity = "failure" if verdict in (RunVerdict.FAILED, RunVerdict.BLOCKED) else "warning"
    return Alert(title=title, body="\n".join(lines), severity=severity)


def send_alert(alert: Alert, urls: Sequence[str]) -> list[Delivery]:
    """Send to each destination on its own, so one that fails neither stops nor hides the rest."""
    import apprise  # only when there is something to send: no cost for a clean run

    deliveries = []
    for url in urls:
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            # Apprise could not read the URL; say which scheme without repeating the URL.
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            deliveries.append(Delivery(f"{scheme}:// (not a URL Apprise reads)", False))
            continue
        notifier = apprise.Apprise()
        notifier.add(plugin)
        try:
            delivered = bool(
                notifier.notify(title=alert.title, body=alert.body, notify_type=alert.severity)
            )
        except Exception:  # a destination's failure must never fail the run
            delivered = False
        deliveries.append(Delivery(plugin.url(privacy=True), delivered))
    return deliveries
