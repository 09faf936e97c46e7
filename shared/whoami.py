"""``GET /api/v1/whoami``: who the token says you are. Any role may ask."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth import ROLES, current_principal, roles

blp = Blueprint("whoami", __name__, description="The caller's identity")


class WhoAmISchema(Schema):
    service = fields.String()
    sub = fields.String()
    role = fields.String()
    unit = fields.String(allow_none=True)


@blp.route("/whoami")
class WhoAmI(MethodView):
    @roles(*ROLES)
    @blp.response(200, WhoAmISchema)
    def get(self):
        """The token's subject, role and unit scope, as this service reads them."""
        principal = current_principal()
        return {"service": current_app.name, "sub": principal.sub, "role": principal.role,
                "unit": principal.unit}
