"""``kaoping`` commands of the survey service: the dialer worker, recording and webhook
record retention, phone key rotation (telephone frame numbers and respondent contacts)."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import select

from shared.config import DatabaseSettings, env_str
from shared.db import engine_for, session_factory, session_scope
from shared.logs import configure_logging


def register(sub) -> None:
    dialer = sub.add_parser("dialer", help="run the telephone dialer worker until stopped "
                                           "(registered in var/run/ for `kaoping stop`)")
    dialer.add_argument("--once", action="store_true", help="one pass, then exit")
    dialer.add_argument("--interval", type=float, default=0.5,
                        help="seconds between passes when idle (default 0.5)")
    dialer.add_argument("--worker-id", default=None,
                        help="name in the attempts' process data and of the worker's presence "
                             "lock (one live dialer per name; default host-pid)")
    dialer.set_defaults(func=_dialer)
    survey = sub.add_parser("survey", help="survey service maintenance")
    actions = survey.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = actions.add_parser("purge-recordings",
                               help="drop references of recordings past their retention")
    purge.set_defaults(func=_purge)
    webhooks = actions.add_parser(
        "purge-webhook-records",
        help="delete Twilio webhook idempotency records of ended calls past "
             "WEBHOOK_RECORD_RETENTION_DAYS")
    webhooks.set_defaults(func=_purge_webhooks)
    rotate = actions.add_parser("rotate-phone-keys",
                                help="re-encrypt stored numbers and respondent contacts "
                                     "with the first key")
    rotate.set_defaults(func=_rotate)


def _sessions(url: str):
    pool = DatabaseSettings.from_env("survey")  # pool sizes from KAOPING_DB_*
    return session_factory(engine_for(replace(pool, url=url)))


def _dialer(args) -> int:
    from services.survey.config import DialerSettings
    from services.survey.telephony.dialer import Dialer, run_forever
    from services.survey.telephony.vault import install_vault

    settings = DialerSettings.from_env()
    configure_logging("dialer", env_str("KAOPING_LOG_LEVEL", "INFO"))
    logging.getLogger("kaoping.dialer").setLevel(logging.INFO)
    storage = settings.storage
    keys = install_vault(storage.phone_keys.keys, storage.phone_keys.hash_key)
    dialer = Dialer(_sessions(storage.database_url), settings.twilio.flask_config(), keys,
                    worker=args.worker_id, lease_seconds=settings.lease_seconds,
                    stale_seconds=settings.stale_seconds,
                    retention_days=storage.webhook_retention_days)
    if args.once:
        with dialer.present():
            print(f"placed {dialer.tick()} calls")
        return 0
    if settings.metrics_port:
        from services.survey.telephony.dialer_metrics import serve_metrics

        # GET /metrics of the dialer on KAOPING_HOST:DIALER_METRICS_PORT (0: none).
        serve_metrics(dialer.sessions, settings.metrics_host, settings.metrics_port,
                      settings.metrics_token)
    from services.cli.pidfiles import registered

    with registered("dialer"):  # so that `kaoping stop` stops a dialer started by hand
        run_forever(dialer, args.interval)
    return 0


def _maintenance():
    """The settings of a maintenance command and its sessions."""
    from services.survey.config import StorageSettings

    settings = StorageSettings.from_env()
    return settings, _sessions(settings.database_url)


def _purge(_args) -> int:
    from services.survey.telephony.recordings import purge_expired

    _settings, sessions = _maintenance()
    with session_scope(sessions) as session:
        print(f"purged {purge_expired(session)} recordings")
    return 0


def _purge_webhooks(_args) -> int:
    from services.survey.telephony.retention import purge_webhook_records
    from shared.db import utcnow

    settings, sessions = _maintenance()
    days = settings.webhook_retention_days
    with session_scope(sessions) as session:
        deleted = purge_webhook_records(session, utcnow(), days)
    print(f"deleted {deleted} webhook records older than {days} days")
    return 0


def _rotate(_args) -> int:
    from services.survey.models.telephony import PhoneContact
    from services.survey.telephony.vault import install_vault

    settings, sessions = _maintenance()
    keys = install_vault(settings.phone_keys.keys, settings.phone_keys.hash_key)
    with session_scope(sessions) as session:
        contacts = session.scalars(select(PhoneContact)).all()
        for contact in contacts:
            contact.number_encrypted = keys.rotate(contact.number_encrypted)
        print(f"re-encrypted {len(contacts)} numbers")
        print(f"re-encrypted {rotate_respondent_contacts(session, keys)} respondent contacts")
    return 0


def rotate_respondent_contacts(session, keys) -> int:
    """Re-encrypt every respondent contact field with the vault's first key.

    Works on the stored tokens (a Core table without the decrypting column type), so
    rows are rewritten even though their plain text does not change."""
    from sqlalchemy import Integer, Text, column, table

    from services.survey.models.links import CONTACT_FIELDS

    stored = table("respondent_contacts", column("id", Integer),
                   *(column(name, Text) for name in CONTACT_FIELDS))
    rows = session.execute(select(stored)).mappings().all()
    for row in rows:
        values = {name: keys.rotate(row[name]) for name in CONTACT_FIELDS
                  if row[name] is not None}
        if values:
            session.execute(stored.update().where(stored.c.id == row["id"]).values(**values))
    return len(rows)
