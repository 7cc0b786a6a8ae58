"""The standard case workflows (promised and instant items) and the check of a declared workflow.

A plugin may declare its own :class:`Workflow` (e.g. a site inspection step between review and
decision); the engine only relies on the ``effect`` of actions, so state and action names are
the plugin's. ``validate_workflow`` refuses a workflow the engine could not run.
"""

from __future__ import annotations

from core.catalogue.records import EFFECTS, Workflow, WorkflowAction, WorkflowState

S = WorkflowState
A = WorkflowAction

STANDARD_STATES = (
    S("pre_review", "待预审", "awaiting pre-review", "1"),
    S("correction_requested", "待补正", "correction requested", "6"),
    S("not_accepted", "不予受理", "not accepted", "4", terminal=True, open=False),
    S("accepted", "已受理", "accepted", "3", clock="running"),
    S("in_review", "审查中", "in review", "8", clock="running"),
    S("suspended", "特别程序", "suspended (special procedure)", "9", clock="stopped"),
    S("approved", "准予许可", "approved", "11", open=False),
    S("refused", "不予许可", "refused", "11", terminal=True, open=False),
    S("delivered", "已送达", "result delivered", "11", open=False),
    S("closed", "已办结", "closed", "11", terminal=True, open=False),
    S("withdrawn", "已撤回", "withdrawn", "11", terminal=True, open=False),
    S("terminated", "已终止", "terminated", "11", terminal=True, open=False),
)

_OPEN = ("pre_review", "correction_requested", "accepted", "in_review", "suspended")

STANDARD_ACTIONS = (
    A("accept", "受理", "accept", ("pre_review",), "accepted", ("clerk", "head", "system"), "accept"),
    A("accept_tolerant", "容缺受理", "accept with missing materials", ("pre_review",), "accepted",
      ("clerk", "head"), "accept_tolerant"),
    A("request_correction", "一次性告知补正", "request corrections (all at once)", ("pre_review",),
      "correction_requested", ("clerk", "head"), "request_correction"),
    A("reject", "不予受理", "do not accept", ("pre_review",), "not_accepted", ("clerk", "head"), "reject",
      needs_comment=True),
    A("resubmit", "补正提交", "resubmit corrected application", ("correction_requested",), "pre_review",
      ("applicant",), "resubmit"),
    A("supply", "补齐容缺材料", "supply the missing materials", ("accepted", "in_review", "suspended"), None,
      ("applicant",), "supply"),
    A("start_review", "审查", "start review", ("accepted",), "in_review", ("reviewer", "head", "system"), None),
    A("approve", "准予", "approve", ("in_review",), "approved", ("head", "system"), "approve"),
    A("refuse", "不予许可", "refuse", ("in_review",), "refused", ("head",), "refuse", needs_comment=True),
    A("suspend", "特别程序开始", "suspend (special procedure)", ("accepted", "in_review"), "suspended",
      ("reviewer", "head"), "suspend", needs_comment=True),
    A("resume", "特别程序结束", "resume", ("suspended",), None, ("reviewer", "head"), "resume"),
    A("deliver", "送达", "deliver the result", ("approved",), "delivered", ("clerk", "head", "system"), "deliver"),
    A("close", "办结", "close", ("delivered",), "closed", ("clerk", "head", "system", "applicant"), "close"),
    A("withdraw", "撤回", "withdraw", _OPEN, "withdrawn", ("applicant",), "withdraw"),
    A("terminate", "终止", "terminate", _OPEN, "terminated", ("head", "system"), "terminate", needs_comment=True),
)


def standard_workflow() -> Workflow:
    """承诺件: pre-review → accepted → in review → decided → delivered → closed."""
    return Workflow("standard", STANDARD_STATES, STANDARD_ACTIONS)


def instant_workflow() -> Workflow:
    """即办件: the same graph, accepted, reviewed and approved by the system on submission."""
    return Workflow("instant", STANDARD_STATES, STANDARD_ACTIONS, auto=("accept", "start_review", "approve"))


def validate_workflow(wf: Workflow) -> list[str]:
    """Problems that would make the engine unable to run ``wf`` (empty list: fine)."""
    problems: list[str] = []
    names = [s.name for s in wf.states]
    if len(set(names)) != len(names):
        problems.append("duplicate state names")
    if wf.initial not in names:
        problems.append(f"initial state {wf.initial!r} is not a state")
    action_names = [a.name for a in wf.actions]
    if len(set(action_names)) != len(action_names):
        problems.append("duplicate action names")
    for a in wf.actions:
        if a.effect is not None and a.effect not in EFFECTS:
            problems.append(f"action {a.name!r}: unknown effect {a.effect!r}")
        if a.target is not None and a.target not in names:
            problems.append(f"action {a.name!r}: target {a.target!r} is not a state")
        if a.target is None and a.effect not in ("resume", "supply"):
            problems.append(f"action {a.name!r}: only resume/supply may keep the state")
        for src in a.sources:
            if src not in names:
                problems.append(f"action {a.name!r}: source {src!r} is not a state")
        if not a.actors:
            problems.append(f"action {a.name!r}: nobody may take it")
    for name in wf.auto:
        if name not in action_names:
            problems.append(f"auto action {name!r} is not an action")
    if not any(s.terminal for s in wf.states):
        problems.append("no terminal state")
    if any(a.effect == "suspend" for a in wf.actions) and not any(a.effect == "resume" for a in wf.actions):
        problems.append("a suspend action needs a resume action")
    return problems
