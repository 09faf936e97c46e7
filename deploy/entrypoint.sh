#!/bin/sh
# Wait for the database, apply this service's migrations, then exec gunicorn (or the
# given command, e.g. `kaoping dialer`).
set -eu
service="${KAOPING_SERVICE:?KAOPING_SERVICE must name the service (survey, scoring, inspection, portal)}"
python - <<PY
import sys, time
from sqlalchemy import text
from shared.config import database_url
from shared.db import make_engine
from shared.migrations import service_migrations_dir, upgrade
engine = make_engine(database_url("$service"))
for attempt in range(60):
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        break
    except Exception as exc:
        print(f"waiting for database ({exc.__class__.__name__})", file=sys.stderr)
        time.sleep(1)
else:
    sys.exit("database not reachable after 60 s")
upgrade(engine, service_migrations_dir("$service"))
PY
if [ "$#" -gt 0 ]; then
  exec "$@"
fi
exec gunicorn -c "services/$service/gunicorn.conf.py"
