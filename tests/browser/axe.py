"""Run axe-core (npm `axe-core`, a root devDependency) in a Playwright page.

The site sends `Content-Security-Policy: script-src 'self'`. `page.add_script_tag(path=…)` puts
axe's source into an inline <script>, which that policy blocks; so axe is evaluated through
`page.evaluate(source)` instead, which runs over the DevTools protocol and is not subject to the
page's CSP. The alternative, a context with `bypass_csp=True`, would switch the policy off for the
whole page: the audit would then see the page with any inline style or script the real policy
blocks applied, and could pass a page residents see broken. With `evaluate` the page under test
is exactly the one a resident gets.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: Impacts that fail the run; "moderate" and "minor" are reported by axe but not enforced here.
BLOCKING_IMPACTS = ("serious", "critical")
#: WCAG 2.1 A and AA, plus axe's best practices (landmarks, headings, regions).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.skip(f"axe-core is not installed ({AXE_SOURCE} is missing): run `npm ci` at the repository root")
    return AXE_SOURCE.read_text(encoding="utf-8")


def inject_axe(page: Any) -> None:
    """Load axe into `page` (once per document), without relaxing its Content-Security-Policy."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the whole document and return the serious and critical violations."""
    inject_axe(page)
    violations: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
            }));
        }""",
        RULE_TAGS,
    )
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """Format violations for an assertion message: rule, impact, and each offending element."""
    lines: list[str] = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:10]:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)
