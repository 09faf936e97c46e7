"""HTTP API of the inspection service: flask-smorest blueprints under /api/v1."""

from services.inspection.api import audit, checklists, orders, plans, reports, visits, xlsform

BLUEPRINTS: list = [checklists.blp, plans.blp, visits.blp, orders.blp, reports.blp, audit.blp,
                    xlsform.blp]
