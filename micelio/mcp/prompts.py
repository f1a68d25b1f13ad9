"""The ``work-in-a-session`` prompt: how an agent works in a mic session. Pure."""

from __future__ import annotations

WORK_IN_A_SESSION = """\
You are working in a mic checkout. mic is session-based version control: git tracks what
changed, mic tracks why. A session holds one unit of work: its goal, the conversation, the
decisions with their reasoning, and the file changes. Work like this:

1. State the goal: call `start_session` with one sentence saying what this work sets out to
   do{goal_hint}. Read what came before with `log`, `blame`, `read_file`,
   `search_sessions` and `show_session` when the history matters.
2. Note the plan: call `add_note` with your plan before you edit, and again when it changes
   or you learn something the next reader needs. Your notes are recorded as role "agent"
   under your client's name, next to the token that sent them.
3. Record each decision: whenever you choose between options (a design, a library, a
   trade-off, a fix over another), call `record_decision` with the decision and its
   reasoning: what you chose and why, including what you rejected.
4. Edit the files in the checkout with your own tools; mic sees them when you land.
5. Land: call `land_session` when the goal is met; it sends the changed files and prints the
   landing position. If the work should not land, call `abandon_session` with the reason.

A tool that fails answers one line saying why (the same words as the `mic` command line):
read it, fix the cause, and call again.
"""


def work_in_a_session(goal: str = "") -> str:
    """The prompt's text; with ``goal``, the goal to state."""
    hint = f' (here: "{goal.strip()}")' if goal.strip() else ""
    return WORK_IN_A_SESSION.format(goal_hint=hint)
