"""AAPOR dispositions: every sample member's with its category and labels, and coding
one by hand (an open interview coded as a non-interview ends)."""

from __future__ import annotations

from services.survey.dispositions import DISPOSITIONS, category


def test_the_codes_and_their_categories():
    assert [category(code) for code in ("1.1", "1.2", "2.11", "2.20", "2.30", "3.11", "3.19",
                                        "4.80")] == ["I", "P", "R", "NC", "O", "UH", "UO",
                                                     "NE"]
    assert {d.category for d in DISPOSITIONS.values()} == {"I", "P", "R", "NC", "O", "UH",
                                                           "UO", "NE"}
    assert all(d.en and d.zh for d in DISPOSITIONS.values())


def test_a_poll_lists_and_codes_dispositions(client, planner, make_poll, auth):
    poll = make_poll()
    links = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                        json={"count": 2, "township": "T01"}).get_json()["links"]
    url = f"/api/v1/polls/{poll['id']}/dispositions"
    listed = client.get(url, headers=auth("analyst")).get_json()
    assert listed == [{"interview_id": link["interview_id"], "mode": "web", "township": "T01",
                       "stratum": None, "status": "not_started", "disposition": "3.19",
                       "category": "UO", "label_en": "invitation sent, nothing returned",
                       "label_zh": "已发邀请，未回应"} for link in links]
    first = f"/api/v1/interviews/{links[0]['interview_id']}/disposition"
    coded = client.put(first, headers=planner, json={"disposition": "4.10"})
    assert coded.status_code == 200
    assert (coded.get_json()["disposition"], coded.get_json()["status"]) == ("4.10", "ended")
    unknown = client.put(first, headers=planner, json={"disposition": "9.99"})
    assert unknown.status_code == 422 and "disposition" in unknown.get_json()["errors"]
    assert client.put(first, headers=auth("analyst"),
                      json={"disposition": "2.11"}).status_code == 403
    assert client.put("/api/v1/interviews/999999/disposition", headers=planner,
                      json={"disposition": "2.11"}).status_code == 404
    assert client.get("/api/v1/polls/999999/dispositions", headers=planner).status_code == 404
    after = {row["interview_id"]: row for row in client.get(url, headers=planner).get_json()}
    assert after[links[0]["interview_id"]]["category"] == "NE"
    assert after[links[1]["interview_id"]]["disposition"] == "3.19"
