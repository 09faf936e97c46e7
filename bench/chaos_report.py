"""The chaos run's results as one dict (``--json``) and the table the README shows.

Columns: requests the services answered; writes acknowledged (a 2xx reached the
client); acknowledged but not in the database (lost); stored twice or answered
differently on a retry (duplicates); telephone calls placed to a case after its
interview was complete; 5xx other than 503 during the outage window (from 1 s before
the cut to 5 s after the database returned) and at other times; requests cut by kill -9 (the
client got no answer, or a 502 from the balancer); seconds from the database's return
to the first write after which none failed (``chaos_probes``).
"""

from __future__ import annotations

from collections import Counter

RECOVERY_TARGET = 5.0


def _statuses(rows: list[tuple[float, int, bool, str]],
              window: tuple[float, float] | None) -> dict:
    """Counts of (started, status, cut, what) rows: 5xx≠503 inside/outside the window
    (with the requests that got them), 503s, cut requests and the status histogram."""
    inside = lambda t: window is not None and window[0] <= t <= window[1]  # noqa: E731
    out = {"requests": len(rows), "cut_by_kill": sum(1 for row in rows if row[2]),
           "5xx_outage": 0, "5xx_other": 0, "503_outage": 0, "503_other": 0}
    errors, refused = [], []
    for started, status, cut, what in rows:
        if cut:
            continue
        if status == 503:
            out["503_outage" if inside(started) else "503_other"] += 1
        elif status >= 500:
            out["5xx_outage" if inside(started) else "5xx_other"] += 1
            errors.append((round(started - window[0], 2) if window else None, status, what))
        elif status >= 400:
            refused.append((status, what))
    out["statuses"] = dict(Counter(str(row[1]) for row in rows if not row[2]))
    out["5xx_seen"] = sorted(errors, key=str)[:20]
    out["4xx_seen"] = refused[:10]
    return out


def _recovery(chaos, names: list[str]) -> float | None:
    if chaos.outage is None:
        return None
    values = [chaos.probes[name].recovery(chaos.outage[1]) for name in names]
    return None if None in values else round(max(values), 2)


def _probe_rows(chaos, names: list[str]) -> list[tuple[float, int, bool, str]]:
    return [(s, status, status == 0, f"probe {name}") for name in names
            for s, _e, status in chaos.probes[name].results]


def _intake_row(chaos, flow: str, tasks, found, probes: list[str], window) -> dict:
    rows = [(s, status, status == 0, f"{t.path} {text[:160]}") for t in tasks
            for s, _e, status, text in t.responses]
    row = {"flow": flow, **_statuses(rows + _probe_rows(chaos, probes), window),
           "writes": len(tasks), "acknowledged": found.acknowledged,
           "unacknowledged": found.unacknowledged, "lost": len(found.lost),
           "duplicates": len(found.duplicates) + len(found.divergent),
           "calls_after_complete": None, "recovery_s": _recovery(chaos, probes)}
    row["details"] = {"lost": found.lost[:10], "duplicates": found.duplicates[:10],
                      "divergent_replies": found.divergent[:10],
                      "refused_retries": found.refused_retries[:10],
                      "refused_retry_count": len(found.refused_retries)}
    return row


def results(chaos, carrier, phone, inspection, api_found, upload_found, api, uploads) -> dict:
    # Requests in flight when the database went away belong to the outage too.
    window = None if chaos.outage is None else (chaos.outage[0] - 1.0, chaos.outage[1] + 5.0)
    probes = ["survey-a", "survey-b"]
    rows = [(r["t0"], r["status"], r["lost"], f"{r['target']} {r.get('answer', '')[:160]}")
            for r in carrier] + \
           [(r["t0"], r["status"], r["lost"], f"replay {r['target']} {r['answer'][:160]}")
            for r in chaos.replayer.results]
    telephone = {"flow": "telephone", **_statuses(rows + _probe_rows(chaos, probes), window),
                 "writes": None, "acknowledged": phone.acknowledged, "unacknowledged": None,
                 "lost": len(phone.lost) + len(phone.wrong_value),
                 "duplicates": (phone.duplicate_answers + len(phone.divergent_replays)
                                + len(phone.double_placed) + len(phone.overlapping_calls)),
                 "calls_after_complete": len(phone.calls_after_complete),
                 "recovery_s": _recovery(chaos, probes)}
    telephone["details"] = {
        "lost": phone.lost[:10], "wrong_value": phone.wrong_value[:10],
        "duplicate_answer_rows": phone.duplicate_answers,
        "divergent_replays": phone.divergent_replays[:10],
        "attempts_placed_twice": phone.double_placed[:10],
        "overlapping_calls": phone.overlapping_calls[:10],
        "calls_after_complete": phone.calls_after_complete[:10],
        "replays_sent": chaos.replayer.sent, "gathers_from_carrier": len(chaos.gathers(carrier)),
        **phone.facts}
    first_call = None
    if chaos.outage is not None:
        after = [r["t0"] for r in carrier if r["t0"] >= chaos.outage[1]
                 and r["target"].startswith("/api/v1/telephony/voice/status")]
        first_call = round(min(after) - chaos.outage[1], 2) if after else None
    telephone["details"]["first_call_callback_after_return_s"] = first_call
    flows = [telephone,
             _intake_row(chaos, "inspection submissions", chaos.inspection_tasks, inspection,
                         ["inspection"], window),
             _intake_row(chaos, "self-checks (API)", api, api_found, ["scoring"], window),
             _intake_row(chaos, "self-checks (month uploads)", uploads, upload_found,
                         ["scoring"], window)]
    kills = Counter(k["target"] for k in chaos.kills)
    return {"flows": flows, "kills": dict(kills), "outage": chaos.outage,
            "settled": chaos.settled, "args": vars(chaos.args)}


def _cell(value) -> str:
    return "—" if value is None else str(value)


def verdict(results: dict) -> list[str]:
    """The required zeros and the recovery target that were missed."""
    missed = []
    for flow in results["flows"]:
        for name in ("lost", "duplicates", "calls_after_complete", "5xx_outage", "5xx_other"):
            if flow[name]:
                missed.append(f"{flow['flow']}: {name} = {flow[name]}")
        recovery = flow["recovery_s"]
        if results["outage"] is not None and (recovery is None or recovery >= RECOVERY_TARGET):
            missed.append(f"{flow['flow']}: recovery {_cell(recovery)} s (target < 5 s)")
        if flow["unacknowledged"]:
            missed.append(f"{flow['flow']}: {flow['unacknowledged']} writes never acknowledged")
    if not results["settled"]["campaign_finished"]:
        missed.append("telephone: the campaign did not finish within --settle")
    if results["settled"]["replays_pending"]:
        missed.append(f"telephone: {results['settled']['replays_pending']} replays not sent "
                      "within --settle")
    return missed


def table(results: dict) -> str:
    head = ("| flow | requests | acknowledged | lost | duplicates | calls after complete "
            "| 5xx ≠ 503 (outage / other) | 503 (outage / other) | cut by kill -9 "
            "| recovery s |")
    lines = [head, "|" + "---|" * 10]
    for f in results["flows"]:
        acked = f["acknowledged"] if f["writes"] is None else f"{f['acknowledged']}/{f['writes']}"
        lines.append(f"| {f['flow']} | {f['requests']} | {acked} | {f['lost']} "
                     f"| {f['duplicates']} | {_cell(f['calls_after_complete'])} "
                     f"| {f['5xx_outage']} / {f['5xx_other']} | {f['503_outage']} / "
                     f"{f['503_other']} | {f['cut_by_kill']} | {_cell(f['recovery_s'])} |")
    return "\n".join(lines)


def print_report(results: dict) -> bool:
    """Print the table, the faults and the details; True when every target was met."""
    print()
    print(table(results))
    outage = results["outage"]
    length = f"{outage[1] - outage[0]:.1f} s" if outage else "none (SQLite)"
    print(f"\nfaults: kill -9 {results['kills']}; database outage {length}; "
          f"settled {results['settled']}")
    for flow in results["flows"]:
        print(f"{flow['flow']}: statuses {flow['statuses']}; {flow['details']}")
        if flow["5xx_seen"]:
            print(f"  5xx (seconds after the cut, status, request): {flow['5xx_seen']}")
        if flow["4xx_seen"]:
            print(f"  4xx (status, request): {flow['4xx_seen']}")
    missed = verdict(results)
    print("\n" + ("every target met" if not missed else "TARGETS MISSED:\n  "
                  + "\n  ".join(missed)))
    return not missed
