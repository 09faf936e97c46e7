"""What a document says, from a published run and its stored sources (pure: no database,
no HTTP). :func:`build` returns the context the templates print; every number is
formatted here, once, with the precision the tests read back:

- composites, their interval and changes: 2 decimals; P(advanced): 2 decimals;
- rates (satisfaction, Wilson interval, AAPOR, completeness, on-time): percent, 1 decimal;
- weights: 3 decimals.

The cut-off of a peer group is the midpoint between the last awarded unit's composite and
the next one's when the run awards "advanced" titles, else between rank ``top_k`` and
``top_k + 1``; a unit whose interval contains it is marked (※).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from services.scoring.document_texts import kind_name, texts
from services.scoring.models.documents import RUN_KIND_OF_DOCUMENT
from shared import charts


def num(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def signed(value: float | int | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:+d}" if isinstance(value, int) else f"{value:+.{places}f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def build(kind: str, lang: str, run: dict[str, Any], rows: list[dict[str, Any]],
          sources: dict[str, Any], sensitivity: dict[str, Any] | None) -> dict[str, Any]:
    """The template context of a document. ``run``: the run as the API serves it (with
    ``method``, ``options``) plus ``units`` (code → name/kind); ``rows``: the ranking rows
    (:func:`services.scoring.results.ranking`) each with the unit's ``segments``."""
    t = texts(lang)
    name = "name_zh" if lang == "zh" else "name_en"
    context: dict[str, Any] = {
        "kind": kind, "lang": lang, "t": t, "period": run["period"],
        "title": t[kind].format(period=run["period"]),
        "basis": t["basis"].format(run=run["id"], kind=kind_name(lang, run["kind"]),
                                   period=run["period"]),
        "published_at": (run.get("published_at") or "")[:10],
        "run_hash": t["run_hash"].format(inputs=run["inputs_sha256"][:16],
                                         results=run["results_sha256"][:16]),
        "footer": t["document_footer"].format(kind=kind, period=run["period"], lang=lang,
                                              run=run["id"]),
    }
    top_k = run["options"].get("top_k", 3)
    context["groups"] = [_group(group, members, t, name, top_k)
                         for group, members in _by_group(rows).items()]
    previous = next((r["previous_run_id"] for r in rows if r.get("previous_run_id")), None)
    context["has_previous"] = previous is not None
    context["previous_period"] = run.get("previous_period")
    if kind == "bulletin":
        context.update(_bulletin(sources, run["units"], t, name))
    if kind in ("midyear", "yearend"):
        context.update(_report(run, rows, sensitivity, t, name))
    assert RUN_KIND_OF_DOCUMENT[kind] == run["kind"]
    return context


def _by_group(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["peer_group"]].append(row)
    return {g: sorted(m, key=lambda r: (r["rank"], r["unit"])) for g, m in sorted(groups.items())}


def cutoff(members: list[dict[str, Any]], top_k: int) -> tuple[float | None, str]:
    """The group's cut-off composite and which one it is (``advanced`` or ``top``)."""
    awarded = [r for r in members if r.get("advanced")]
    if awarded and len(awarded) < len(members):
        last = min(r["composite"] for r in awarded)
        nxt = max(r["composite"] for r in members if not r.get("advanced"))
        return (last + nxt) / 2, "advanced"
    if len(members) > top_k:
        return (members[top_k - 1]["composite"] + members[top_k]["composite"]) / 2, "top"
    return None, "top"


def _group(group: str, members: list[dict[str, Any]], t, name: str,
           top_k: int) -> dict[str, Any]:
    line, which = cutoff(members, top_k)
    table = []
    for r in members:
        marked = (line is not None and r["composite_lo"] is not None
                  and r["composite_lo"] <= line <= r["composite_hi"])
        table.append({
            "rank": r["rank"], "unit": r["unit"], "name": r[name],
            "composite": num(r["composite"]),
            "interval": f"[{num(r['composite_lo'])}, {num(r['composite_hi'])}]",
            "rank_interval": f"{r['rank_lo']}–{r['rank_hi']}" if r.get("rank_lo") else "—",
            "rank_change": signed(r.get("rank_change")),
            "composite_change": signed(r.get("composite_change")),
            "p_advanced": num(r.get("p_advanced")), "advanced": bool(r.get("advanced")),
            "marked": marked, "segments": r.get("segments") or {}})
    label = t["cutoff_advanced"] if which == "advanced" else t["cutoff_top"].format(k=top_k)
    return {
        "code": group, "size": len(members), "rows": table,
        "cutoff": num(line), "cutoff_label": f"{label} {num(line)}",
        "any_marked": any(r["marked"] for r in table),
        "chart": charts.interval_plot(
            [f"{r['unit']} {r[name]}" for r in members], [r["composite"] for r in members],
            [r["composite_lo"] for r in members], [r["composite_hi"] for r in members],
            [row["marked"] for row in table], line, t["composite"]),
    }


def _bulletin(sources: dict[str, Any], units: dict[str, dict], t, name: str) -> dict[str, Any]:
    status = sources.get("status", {})

    def unit_name(code: str) -> str:
        return (units.get(code) or {}).get(name, code)

    polls = []
    for poll in sources.get("polls") or []:
        rows = sorted(poll["satisfaction"], key=lambda r: r["township"])
        rate_rows = [{"township": r["township"] or "", "name": unit_name(r["township"])
                      if r["township"] else t["overall"],
                      **{k: pct(v) for k, v in r["rates"].items()}} for r in poll["rates"]]
        polls.append({
            "name": poll.get(name), "id": poll["id"],
            "fielded": t["poll_fielded"].format(start=poll.get("field_start"),
                                                end=poll.get("field_end"),
                                                modes=", ".join(poll.get("modes") or [])),
            "rows": [{"township": r["township"], "name": unit_name(r["township"]),
                      "estimate": pct(r["estimate"]),
                      "interval": f"[{pct(r['ci_low'])}, {pct(r['ci_high'])}]",
                      "n": r["n"]} for r in rows],
            "rates": rate_rows,
            "chart": charts.bar_intervals(
                [unit_name(r["township"]) for r in rows],
                [None if r["estimate"] is None else 100 * r["estimate"] for r in rows],
                [None if r["ci_low"] is None else 100 * r["ci_low"] for r in rows],
                [None if r["ci_high"] is None else 100 * r["ci_high"] for r in rows],
                t["satisfaction"])})
    out: dict[str, Any] = {"polls": polls, "polls_skipped": _skipped(status, "survey", t)}
    inspection = sources.get("inspection")
    out["inspection_skipped"] = _skipped(status, "inspection", t)
    if inspection is not None:
        findings = inspection["findings"]
        totals = {k: sum(r[k] for r in findings)
                  for k in ("visits", "minor", "major", "critical", "findings")}
        out["findings"] = [{**r, "name": unit_name(r["unit"])} for r in findings]
        out["findings_total"] = totals
        closure = inspection["closure"]
        out["closure"] = [{**r, "name": unit_name(r["unit"]), "rate": pct(r["rate"])}
                          for r in closure]
        due = sum(r["due"] for r in closure)
        on_time = sum(r["closed_on_time"] for r in closure)
        out["closure_total"] = {"orders": sum(r["orders"] for r in closure), "due": due,
                                "closed_on_time": on_time,
                                "rate": pct(on_time / due) if due else "—"}
        out["overdue"] = [{**r, "name": unit_name(r["unit"])} for r in inspection["overdue"]]
        out["overdue_title"] = t["overdue_title"].format(as_of=sources.get("as_of"))
    checks = sources.get("self_checks") or {}
    out["completeness"] = [{**m, "completeness": pct(m["completeness"])}
                           for m in (checks.get("completeness") or {}).get("months", [])]
    out["late_units"] = [{**u, "name": u[name], "months_missing": ", ".join(u["months_missing"])}
                         for u in checks.get("units", [])]
    tasks = sources.get("key_tasks") or []
    due = sum(r["milestones_due"] for r in tasks)
    on_time = sum(r["milestones_on_time"] for r in tasks)
    # named: the units that missed a milestone due in the period (the total counts all)
    out["key_tasks"] = [{**r, "name": unit_name(r["unit"]), "rate": pct(r["on_time_rate"])}
                        for r in tasks if r["milestones_due"] > r["milestones_on_time"]]
    out["key_tasks_total"] = {"due": due, "on_time": on_time,
                              "rate": pct(on_time / due) if due else "—"}
    return out


def _skipped(status: dict[str, Any], source: str, t) -> str | None:
    entry = status.get(source) or {}
    return t["skipped"].format(reason=entry["reason"]) if entry.get("status") == "skipped" else None


def _report(run: dict[str, Any], rows: list[dict[str, Any]], sensitivity, t,
            name: str) -> dict[str, Any]:
    method = run["method"]
    blend = method.get("blend") or {}
    final = method.get("final") or {}
    engine = final.get("engine", {})
    out: dict[str, Any] = {
        "blend_note": t["blend_note"].format(d=blend.get("day_to_day"),
                                             s=blend.get("snapshot"),
                                             name=blend.get("named_weighting")),
        "quarters": list(blend.get("day_to_day_periods", [])),
    }
    groups = _by_group(rows)
    seats = final.get("seats") or {}
    out["awards"] = [{"group": g, "seats": t["seats"].format(n=seats.get(g, 0)),
                      "units": [{"unit": r["unit"], "name": r[name],
                                 "composite": num(r["composite"]),
                                 "p_advanced": num(r.get("p_advanced"))}
                                for r in members if r.get("advanced")]}
                     for g, members in groups.items()]
    out["trends"] = [_trend(g, members, out["quarters"], t) for g, members in groups.items()]
    out["sensitivity"] = _sensitivity(sensitivity, rows, t, name) if sensitivity else None
    monte_carlo = engine.get("monte_carlo", {})
    out["method"] = {
        "scheme": f"{method['scheme_version']['scheme']} v{method['scheme_version']['version']}",
        "weights": [{"node": node, "children": [(c, num(w, 3)) for c, w in sorted(ws.items())]}
                    for node, ws in sorted((final.get("weights") or {}).items())],
        "normalisation": [{"indicator": i, "method": n.get("method"),
                           "direction": t.get(n.get("direction"), n.get("direction")),
                           "goalposts": "—" if not n.get("goalposts") else
                           f"[{n['goalposts'][0]}, {n['goalposts'][1]}]",
                           "transform": n.get("transform") or ""}
                          for i, n in sorted(engine.get("normalisation", {}).items())],
        "draws": monte_carlo.get("draws"), "level": monte_carlo.get("level"),
        "seed": run["seed"], "inputs_sha256": run["inputs_sha256"],
        "results_sha256": run["results_sha256"],
        "sources": ", ".join(f"{k}: {v.get('status')}"
                             for k, v in sorted((method.get("sources") or {}).items())),
        "warnings": list(method.get("warnings") or []),
        "formula": blend.get("formula"),
    }
    return out


def _trend(group: str, members: list[dict[str, Any]], quarters: list[str], t) -> dict[str, Any]:
    """Ranks within the group in each quarter (by the quarter's composite, ties by unit
    code) and in the final result."""
    ranks: dict[str, list[int | None]] = {r["unit"]: [] for r in members}
    for quarter in quarters:
        scored = sorted((r for r in members if (r.get("segments") or {}).get(quarter)
                         is not None), key=lambda r: (-r["segments"][quarter], r["unit"]))
        position = {r["unit"]: i + 1 for i, r in enumerate(scored)}
        for r in members:
            ranks[r["unit"]].append(position.get(r["unit"]))
    for r in members:
        ranks[r["unit"]].append(r["rank"])
    periods = [*quarters, t["composite"]]
    return {"group": group, "periods": periods,
            "rows": [{"unit": u, "ranks": ["—" if x is None else x for x in rs]}
                     for u, rs in ranks.items()],
            "chart": charts.rank_trend(periods, ranks, t["rank"])}


def _sensitivity(report: dict[str, Any], rows: list[dict[str, Any]], t,
                 name: str) -> dict[str, Any]:
    variants = []
    for variant, entry in report["variants"].items():
        if "skipped" in entry:
            variants.append({"name": variant, "mean": "—", "max": "—",
                             "note": t["skipped_variant"].format(reason=entry["skipped"])})
        else:
            variants.append({"name": variant, "mean": num(entry["mean_abs_shift"]),
                             "max": entry["max_abs_shift"], "note": ""})
    by_unit = {r["unit"]: r for r in rows}
    moves = sorted(zip(report["units"], report["max_abs_shift_per_unit"], strict=True),
                   key=lambda m: (-m[1], m[0]))
    return {"variants": variants,
            "moves": [{"unit": u, "name": by_unit[u][name] if u in by_unit else u,
                       "group": by_unit[u]["peer_group"] if u in by_unit else "",
                       "rank": by_unit[u]["rank"] if u in by_unit else "—", "shift": s}
                      for u, s in moves[:15] if s > 0]}
