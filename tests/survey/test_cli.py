"""The survey's ``kaoping`` commands: ``dialer --once`` and ``survey rotate-phone-keys``
(telephone frame numbers and respondent contacts)."""

from __future__ import annotations

import io

from cryptography.fernet import Fernet
from sqlalchemy import Integer, Text, column, select, table

from services.cli import main
from services.survey.models.telephony import PhoneContact
from services.survey.telephony.vault import PhoneVault
from tests.survey.telephony.phone_support import make_phone_poll


def test_rotate_phone_keys_re_encrypts_with_the_first_key(phone_keys, make_app, engines, auth,
                                                          capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    phone_keys(old, "cli-hash-key")
    app = make_app("survey")
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000"}).json
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"), "f.csv")})
    phone_keys(f"{new},{old}", "cli-hash-key")
    assert main(["survey", "rotate-phone-keys"]) == 0
    assert "re-encrypted 1 numbers" in capsys.readouterr().out
    with app.extensions["kaoping"].sessions() as session:
        token = session.scalar(select(PhoneContact.number_encrypted))
    assert PhoneVault([new], "cli-hash-key").decrypt(token) == "+8613900010001"
    assert main(["dialer", "--once"]) == 0  # the campaign is a draft: nothing to place
    assert "placed 0 calls" in capsys.readouterr().out


PLAIN = {"name": "王小明", "phone": "+8613800138000", "email": "wxm@example.cn",
         "note": "下午方便"}
STORED = table("respondent_contacts", column("id", Integer), column("interview_id", Integer),
               *(column(name, Text) for name in PLAIN))


def stored_rows(engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(STORED).order_by(STORED.c.id)).mappings()]


def issue_with_contacts(client, planner, poll_id):
    response = client.post(f"/api/v1/polls/{poll_id}/links", headers=planner, json={
        "township": "T01", "contacts": [PLAIN, {"name": "李四"}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["links"]


def test_rotate_phone_keys_re_encrypts_contacts(phone_keys, make_app, client, make_poll,
                                                engines, planner, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    phone_keys(old, "contacts-hash-key")
    make_app("survey")          # a survey process started now holds the vault of these keys
    poll = make_poll()
    links = issue_with_contacts(client, planner, poll["id"])
    before = stored_rows(engines["survey"])
    phone_keys(f"{new},{old}", "contacts-hash-key")
    assert main(["survey", "rotate-phone-keys"]) == 0
    assert "re-encrypted 2 respondent contacts" in capsys.readouterr().out
    after = stored_rows(engines["survey"])
    only_new = PhoneVault([new], "contacts-hash-key")
    for name, plain in PLAIN.items():
        assert after[0][name] != before[0][name]
        assert only_new.decrypt(after[0][name]) == plain
    assert only_new.decrypt(after[1]["name"]) == "李四" and after[1]["note"] is None
    phone_keys(new, "contacts-hash-key")                   # the old key is dropped
    make_app("survey")                                     # and the service restarted
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert contacts[0] == {"interview_id": links[0]["interview_id"], **PLAIN}
