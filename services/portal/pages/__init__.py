"""The portal's pages, one blueprint per area; ``BLUEPRINTS`` lists them."""

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, format_decimal, format_percent

from services.portal.labels import label, plan_kind
from services.portal.pages import (
    auth,
    campaigns,
    dashboard,
    documents,
    events,
    field,
    field_api,
    home,
    instructions,
    language,
    orders,
    people,
    plans,
    polls,
    runs,
    units,
    xlsform,
)

BLUEPRINTS = [auth.bp, home.bp, language.bp, people.bp, events.bp, units.bp, orders.bp, runs.bp,
              field.bp, field_api.bp, documents.bp, dashboard.bp, instructions.bp,
              xlsform.bp, campaigns.bp, polls.bp, plans.bp]


def init_templates(app: Flask) -> None:
    """Filters the templates use: words for API values, numbers in the person's locale."""
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["plan_kind"] = plan_kind
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["percent"] = lambda value: (
        "–" if value is None else format_percent(value, "#,##0.0%"))
    app.jinja_env.filters["number"] = lambda value, pattern="#,##0.0": (
        "–" if value is None else format_decimal(value, pattern))


def _when(value: datetime | str | None) -> str:
    """A moment (a datetime or an API's ISO text) in county time, to the minute."""
    if not value:
        return "–"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "yyyy-MM-dd HH:mm")
