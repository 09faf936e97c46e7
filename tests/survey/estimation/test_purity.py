"""The estimation package stays pure NumPy/SciPy: importing it pulls in no web
framework and no database layer."""

import subprocess
import sys


def test_no_flask_or_database_imports():
    code = ("import sys, services.survey.estimation as e; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'psycopg', 'shared') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
