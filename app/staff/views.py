"""The staff pages: `/staff` (dashboard), `/staff/audit` (audit log) and its CSV export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import ORGANIZER
from app.formatting import current_language, format_count, format_month, format_short_month
from app.inputs import InvalidInput, parse_day, query_int
from app.staff import audit as audit_log
from app.staff import service
from app.staff.charts import Chart, ChartValue, bar_chart, column_chart, highest_of, line_chart
from app.timeutil import utcnow
from community.gating.access import role_required, signed_in_account

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


@bp.get("")
@role_required(ORGANIZER)
def dashboard() -> ResponseReturnValue:
    """Show the town office's figures, the charts, and the health of the chain and IPFS."""
    figures = service.dashboard(signed_in_account(), current_app.config["SETTINGS"], current_app.instance_path, utcnow())
    return render_template("staff/dashboard.html", dashboard=figures, charts=dashboard_charts(figures), action_labels=service.ACTION_LABELS)


@bp.get("/audit")
@role_required(ORGANIZER)
def audit() -> ResponseReturnValue:
    """Show the audit log, newest first, filtered by actor, action and days."""
    refused: list[str] = []
    filters, errors = audit_filters_from_query(refused)
    page = audit_log.audit_page(signed_in_account(), filters, query_int("page", 1, minimum=1))
    # A refused filter is explained on the page, which shows the entries without it.
    page_html = render_template("staff/audit.html", page=page, filters=filters, errors=errors, action_labels=service.ACTION_LABELS)
    return page_html, 400 if refused else 200


@bp.get("/audit.csv")
@role_required(ORGANIZER)
def audit_csv() -> ResponseReturnValue:
    """Send the filtered audit log as a CSV file (UTF-8 with BOM, for spreadsheets)."""
    filters, _errors = audit_filters_from_query()
    lines = audit_log.export_audit_csv(signed_in_account(), filters)
    filename = f"audit-log-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# -- input -------------------------------------------------------------------------------------------


def _day(name: str, errors: list[str], refused: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_day(raw, field=name)
    except InvalidInput as refusal:
        errors.append(str(refusal))
        refused.append(name)
        return None


def audit_filters_from_query(refused: list[str] | None = None) -> tuple[audit_log.AuditFilters, list[str]]:
    """Read the audit filters from the query string; a wrong field is dropped, explained and
    named in `refused`."""
    errors: list[str] = []
    refused = refused if refused is not None else []
    since, until = _day("since", errors, refused), _day("until", errors, refused)
    if since and until and since > until:
        errors.append(_("The “from” day is after the “to” day; showing entries from either day on."))
        since, until = until, since
    actor = request.args.get("actor", "").strip()[:64] or None
    action = request.args.get("action", "").strip()[:64] or None
    return audit_log.AuditFilters(actor=actor, action=action, since=since, until=until), errors


# -- charts ------------------------------------------------------------------------------------------

CHART_HEADINGS = {
    "month": _l("Month"),
    "issued": _l("Cards issued"),
    "total": _l("Residents in total"),
    "event": _l("Exchange event"),
    "registered": _l("Registered"),
    "checked_in": _l("Residents checked in"),
}


def _described(summary: str, values: list[ChartValue]) -> str:
    top = highest_of(values)
    if top is None or top.value == 0:
        return " ".join([summary, _("All values are zero.")])
    return " ".join([summary, _("Highest: %(label)s with %(value)s.", label=top.label, value=top.shown)])


def _table(*columns: object) -> tuple[str, ...]:
    return tuple(str(column) for column in columns)


def dashboard_charts(figures: service.Dashboard) -> list[Chart]:
    """Draw the dashboard's charts, each with the table of its numbers."""
    issued = figures.residents_issued
    # The axes show short month names ("12月", "Dec"); the tables and descriptions carry the year.
    monthly = [ChartValue(format_month(month), count, format_count(count)) for month, count in issued.per_month]
    monthly_axis = [ChartValue(format_short_month(month), count, format_count(count)) for month, count in issued.per_month]
    running = issued.total - sum(item.value for item in monthly)
    totals, totals_axis = [], []
    for item, axis in zip(monthly, monthly_axis, strict=True):
        running += item.value
        totals.append(ChartValue(item.label, running, format_count(running)))
        totals_axis.append(ChartValue(axis.label, running, format_count(running)))

    title = _("Resident cards issued per month")
    summary = _described(_("Cards issued in each of the last 12 months, the current month last."), monthly)
    charts = [
        Chart("chart-issued", title, column_chart("chart-issued", title, summary, monthly_axis), _table(CHART_HEADINGS["month"], CHART_HEADINGS["issued"]), [(item.label, item.shown) for item in monthly])
    ]
    title = _("Residents in total")
    summary = _described(_("Card holders at the end of each month, the current month last."), totals)
    charts.append(
        Chart("chart-total", title, line_chart("chart-total", title, summary, totals_axis), _table(CHART_HEADINGS["month"], CHART_HEADINGS["total"]), [(item.label, item.shown) for item in totals])
    )
    if figures.recent_attendance:
        language = current_language()
        events = figures.recent_attendance
        attended = [ChartValue(event.title(language), event.checked_in, format_count(event.checked_in)) for event in events]
        title = _("Attendance per exchange event")
        summary = _described(_("Residents checked in at each recent exchange event, oldest first."), attended)
        charts.append(
            Chart(
                "chart-attendance",
                title,
                bar_chart("chart-attendance", title, summary, attended),
                _table(CHART_HEADINGS["event"], CHART_HEADINGS["registered"], CHART_HEADINGS["checked_in"]),
                [(item.label, format_count(event.registered), item.shown) for item, event in zip(attended, events, strict=True)],
            )
        )
    return charts
