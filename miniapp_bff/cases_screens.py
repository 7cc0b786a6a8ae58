"""Apply, track, correct and withdraw: the citizen's side of cases (办件) as phone screens.

The case engine (``core.cases``) decides everything; these functions pick the applicant's view:
localised state labels, a timeline (进度) of the case's events, the actions the applicant may take
now (补正 resubmit, 撤回 withdraw, 缴费 pay, 评价 rate), and one list across single items and
bundles.
"""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from miniapp_bff.channels import Screen
from miniapp_bff.errors import NO_HOME_REGION
from miniapp_bff.paging import Page
from miniapp_bff.usage import note_use

APPLICANT_ACTIONS = ("resubmit", "supply", "withdraw", "close")
MAX_OPEN = 200  # open cases considered for "needs my action" (a citizen has a handful)
FINISHED_STATES = frozenset({"not_accepted", "approved", "refused", "delivered", "closed", "withdrawn", "terminated"})

EVENT_LABELS = {
    "submitted": ("已提交申请", "Application submitted"),
    "paid": ("已缴费", "Fee paid"),
    "hold_released": ("待办事项已完成", "Waiting step completed"),
    "hold_added": ("等待办理条件", "Waiting for a step"),
    "delivery_chosen": ("已选择送达方式", "Delivery method chosen"),
}


def _label(screen: Screen, zh: str, en: str) -> str:
    return screen.text(zh, en)


def case_card(view: dict[str, Any], screen: Screen) -> dict[str, Any]:
    """The compact row of a case list (and of the home screen's "needs my action")."""
    actions = [a["name"] for a in view.get("actions", []) if "applicant" in a.get("actors", ())]
    if not view.get("missing"):
        actions = [a for a in actions if a != "supply"]  # nothing to supply
    # A bundle's child cases are paid through the bundle (one payment for the whole 一件事).
    needs_payment = view.get("fee_fen", 0) > 0 and view.get("payment_state") == "unpaid" and not view.get("bundle_case_id")
    return {
        "id": view["id"],
        "case_no": view["case_no"],
        "kind": "case",
        "item_code": view["item_code"],
        "item_name": view["item_name"],
        "state": view["state"],
        "state_label": _label(screen, view.get("state_label") or view["state"], view.get("state_label_en") or ""),
        "submitted_at": view.get("submitted_at"),
        "due_date": view.get("due_date"),
        "fee_fen": view.get("fee_fen", 0),
        "payment_state": view.get("payment_state"),
        "bundle_case_id": view.get("bundle_case_id"),
        "applicant_actions": actions,
        "needs_action": needs_payment or "resubmit" in actions or "supply" in actions,
        "needs_payment": needs_payment,
        "corrections": view.get("corrections") or [],
    }


def timeline(events: list[dict[str, Any]], view: dict[str, Any], screen: Screen) -> list[dict[str, Any]]:
    """Events in order, each with a localised label; staff identities are not shown to citizens."""
    from core.catalogue.registry import get_registry, workflow_of

    item = get_registry().item(view["item_code"])
    states: dict[str, tuple[str, str]] = {}
    actions: dict[str, tuple[str, str]] = {}
    if item is not None:
        wf = workflow_of(item)
        states = {s.name: (s.label, s.label_en) for s in wf.states}
        actions = {a.name: (a.label, a.label_en) for a in wf.actions}
    out = []
    for e in events:
        zh_en = actions.get(e["kind"]) or EVENT_LABELS.get(e["kind"]) or states.get(e["to_state"] or "") or (e["kind"], e["kind"])
        state = states.get(e["to_state"] or "")
        out.append({
            "at": e["at"],
            "kind": e["kind"],
            "label": screen.text(*zh_en),
            "state": e["to_state"],
            "state_label": screen.text(*state) if state else None,
            "by": "applicant" if e["actor_kind"] == "citizen" else e["actor_kind"],
            "on_behalf": e["on_behalf_of"] is not None,
            "comment": e["comment"] if e["actor_kind"] in ("staff", "citizen") else "",
            "data": {k: v for k, v in (e.get("data") or {}).items() if k in ("corrections", "missing", "due_date", "fields", "materials", "result")},
        })
    return out


async def apply(principal: Principal, region: str | None, screen: Screen, body: dict[str, Any]) -> dict[str, Any]:
    """Submit an item or a bundle for the subject (self, or the grantor when acting for one)."""
    from core.cases import api as cases
    from core.cases import bundles

    if region is None:
        raise NO_HOME_REGION()
    item_code, bundle_code = body.get("item_code"), body.get("bundle_code")
    if bool(item_code) == bool(bundle_code):
        raise errors.BAD_REQUEST(details={"reason": "give exactly one of item_code or bundle_code"})
    form = body.get("form") or {}
    if bundle_code:
        bc = await bundles.submit_bundle(principal, bundle_code, region_code=region, form=form,
                                         materials=body.get("materials"), delivery=body.get("delivery"),
                                         channel=screen.channel)
        await note_use(principal.subject_id, bundle_code)
        view = await bundles.bundle_view(bc.id, principal)
        return {"kind": "bundle", "bundle": bundle_card(view, screen),
                "cases": [case_card(c, screen) for c in view["cases"]]}
    case = await cases.submit(principal, item_code, region_code=region, form=form, materials=body.get("materials"),
                              delivery=body.get("delivery"), channel=screen.channel)
    await note_use(principal.subject_id, item_code)
    return {"kind": "case", "case": case_card(cases.case_view(case), screen)}


def bundle_card(view: dict[str, Any], screen: Screen) -> dict[str, Any]:
    return {
        "id": view["id"],
        "bundle_no": view["bundle_no"],
        "kind": "bundle",
        "bundle_code": view["bundle_code"],
        "name": view["name"],
        "status": view["status"],
        "fee_fen": view["fee_fen"],
        "payment_state": view["payment_state"],
        "needs_payment": view["fee_fen"] > 0 and view["payment_state"] == "unpaid",
        "created_at": view["created_at"],
        "cases": [case_card(c, screen) for c in view["cases"]],
    }


def _visible_query(principal: Principal) -> Any:
    """The subject's cases; a proxy with a limited scope sees only the services it covers."""
    from core.cases.models import Case

    query = Case.filter(applicant_id=principal.subject_id)
    if principal.acting_for is not None and principal.proxy_scope is not None:
        query = query.filter(basic_code__in=sorted(principal.proxy_scope))
    return query


async def list_cases(principal: Principal, screen: Screen, page: Page, status: str) -> dict[str, Any]:
    """``status``: ``all``, ``open`` (not yet finished), ``action`` (waiting for me), ``done``.

    Paged in the database; ``action`` is worked out from the open cases (a case waits for the
    applicant when it needs a correction, a missing material or its fee)."""
    from core.cases import api as cases

    query = _visible_query(principal)
    if status == "open" or status == "action":
        query = query.exclude(state__in=sorted(FINISHED_STATES))
    elif status == "done":
        query = query.filter(state__in=sorted(FINISHED_STATES))
    if status == "action":
        cards = [case_card(cases.case_view(r), screen) for r in await query.order_by("-id").limit(MAX_OPEN)]
        return page.slice([c for c in cards if c["needs_action"]])
    total = await query.count()
    rows = await query.order_by("-id").offset(page.offset).limit(page.size)
    return page.envelope([case_card(cases.case_view(r), screen) for r in rows], total)


def _finished(card: dict[str, Any]) -> bool:
    return card["state"] in FINISHED_STATES


async def needing_action(principal: Principal, screen: Screen, limit: int = 5) -> dict[str, Any]:
    """The home screen's card: open cases, and the ones waiting for the applicant first."""
    from core.cases import api as cases

    rows = await _visible_query(principal).exclude(state__in=sorted(FINISHED_STATES)).order_by("-id").limit(MAX_OPEN)
    cards = [case_card(cases.case_view(r), screen) for r in rows]
    waiting = [c for c in cards if c["needs_action"]]
    return {"count": len(waiting), "cases": waiting[:limit], "open": len(cards)}


async def case_screen(principal: Principal, case_id: int, screen: Screen) -> dict[str, Any]:
    """One case with its timeline; another person's case number is a plain 404."""
    from core.cases import api as cases

    view = await cases.get(case_id, principal)
    body = case_card(view, screen)
    body["form"] = view["form"]
    body["materials"] = view["materials"]
    body["missing"] = view["missing"]
    body["missing_deadline"] = view["missing_deadline"]
    body["delivery"] = view["delivery"]
    body["delivery_methods"] = _delivery_methods(view["item_code"])
    body["result"] = view["result"]
    body["decided_at"] = view["decided_at"]
    body["closed_at"] = view["closed_at"]
    body["timeline"] = timeline(await cases.events(case_id), view, screen)
    return body


def _delivery_methods(item_code: str) -> list[str]:
    """What ``POST /bff/{channel}/cases/{id}/delivery`` accepts for this case's item."""
    from core.catalogue.registry import get_registry

    item = get_registry().item(item_code)
    return list(item.delivery.methods()) if item is not None else []


async def act(principal: Principal, case_id: int, action: str, screen: Screen, data: dict[str, Any],
              comment: str = "") -> dict[str, Any]:
    """An applicant action (resubmit after 补正, supply a 容缺 material, withdraw)."""
    from core.cases import api as cases

    if action not in APPLICANT_ACTIONS:
        raise errors.NOT_FOUND(details={"action": action[:40], "actions": list(APPLICANT_ACTIONS)})
    await cases.get(case_id, principal)  # 404 for another person's case before anything else
    await cases.transition(case_id, action, principal, comment=comment, data=data)
    return await case_screen(principal, case_id, screen)


async def rate(principal: Principal, case_id: int, screen: Screen, level: Any, comment: str,
               tags: list[str]) -> dict[str, Any]:
    """好差评: one rating per finished case, from this channel; a bad one opens a rectification."""
    from core.evaluations import api as evaluations

    evaluation = await evaluations.rate(principal, case_id, level, comment=comment, tags=tags, channel=screen.channel)
    return evaluations.evaluation_view(evaluation)
