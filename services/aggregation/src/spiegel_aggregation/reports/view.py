"""A report body seen in one language: what both the page and the PDF show, with their charts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spiegel_aggregation.reports import charts
from spiegel_aggregation.reports.texts import ReportTexts, number, signed, texts


@dataclass
class GroupLegend:
    code: str
    label: str
    colour: str
    marker: str


@dataclass
class ReportView:
    body: Mapping[str, Any]
    lang: str
    norms: Mapping[str, Any] | None = None
    t: ReportTexts = field(init=False)

    def __post_init__(self) -> None:
        self.lang = self.lang if self.lang in ("nl", "en") else "nl"
        self.t = texts(self.lang)

    # -- basics --------------------------------------------------------------------------
    def label(self, value: Mapping[str, str] | None) -> str:
        if not value:
            return ""
        return value.get(self.lang) or value.get("nl") or ""

    def num(self, value: Any, digits: int = 1) -> str:
        return number(value, self.lang, digits)

    def signed(self, value: Any) -> str:
        return signed(value, self.lang)

    @property
    def is_group_monitor(self) -> bool:
        return self.body["kind"] == "GROUP_MONITOR"

    @property
    def kind_label(self) -> str:
        return self.t["group_monitor"] if self.is_group_monitor else self.t["ifms"]

    @property
    def self_label(self) -> str:
        return self.t["self_members"] if self.is_group_monitor else self.t["self"]

    @property
    def scale(self) -> tuple[int, int]:
        scale = self.body["instrument"]["scale"]
        return int(scale["min"]), int(scale["max"])

    @property
    def rule_text(self) -> str:
        return self.t("blind_rule", gap=self.num(self.body["rules"]["gap"]))

    @property
    def anonymity_text(self) -> str:
        """The rule as it applies to each group: a group with its own threshold (a Groepsmonitor's
        members, A2) is named with it."""
        k = self.body["rules"]["threshold"]
        parts = [self.t("anonymity_text", k=k)]
        for group in self.body["groups"]:
            own = group.get("threshold")
            if own is not None and own != k:
                parts.append(self.t("anonymity_members", group=self.label(group["label"]), k=own))
        return " ".join(parts)

    # -- groups ----------------------------------------------------------------------------
    @property
    def legend(self) -> list[GroupLegend]:
        found = []
        for index, code in enumerate(self.body["visible_groups"]):
            colour, marker = charts.group_style(index)
            group = next(g for g in self.body["groups"] if g["code"] == code)
            found.append(GroupLegend(code, self.label(group["label"]), colour, marker))
        return found

    def group_label(self, code: str) -> str:
        for group in self.body["groups"]:
            if group["code"] == code:
                return self.label(group["label"])
        return code

    @property
    def response_rows(self) -> list[dict[str, str]]:
        rows = []
        for group in self.body["groups"]:
            if group["visible"] or group.get("completed") is not None:
                completed = str(group["completed"])
            elif group["is_self"] and not self.is_group_monitor:
                completed = "0"
            else:
                completed = self.t(
                    "hidden_group", k=group.get("threshold") or self.body["rules"]["threshold"]
                )
            rows.append(
                {
                    "label": self.label(group["label"]),
                    "invited": "–" if group.get("invited") is None else str(group["invited"]),
                    "completed": completed,
                }
            )
        return rows

    # -- charts ------------------------------------------------------------------------------
    def chart_labels(self) -> dict[str, str]:
        return {"themes_chart": self.t["themes_chart"], "others": self.t["others"], "self": self.self_label}

    def themes_chart(self) -> charts.Chart:
        lo, hi = self.scale
        return charts.themes_chart(self.body["themes"], lo, hi, self.chart_labels(), self.lang)

    def statement_chart(self, statement: Mapping[str, Any], width: float = 230.0) -> charts.Chart:
        scale = statement.get("scale") or {"min": self.scale[0], "max": self.scale[1]}
        return charts.statement_chart(
            statement, self.body["visible_groups"], scale["min"], scale["max"], width
        )

    def distribution_chart(self, statement: Mapping[str, Any], width: float = 110.0) -> charts.Chart:
        return charts.distribution_chart((statement.get("others") or {}).get("distribution"), width)

    def svg(self, chart: charts.Chart, label: str = "") -> str:
        return charts.to_svg(chart, label)

    # -- statements ---------------------------------------------------------------------------
    def cell_text(self, statement: Mapping[str, Any], code: str) -> str:
        cell = statement["groups"].get(code) or {}
        if cell.get("suppressed") or cell.get("mean") is None:
            return self.t["suppressed"]
        text = f"{self.num(cell['mean'])} (n={cell['n']})"
        if cell.get("carried_from_version"):
            text += " *"
        return text

    def carried_note(self, statement: Mapping[str, Any]) -> str:
        versions = sorted(
            {
                c["carried_from_version"]
                for c in statement["groups"].values()
                if isinstance(c, dict) and c.get("carried_from_version")
            }
        )
        return "; ".join(self.t("carried", version=v) for v in versions)

    def comment_sections(self) -> list[dict[str, Any]]:
        sections = []
        for question in self.body["comments"]:
            groups = [
                (self.group_label(code), question["groups"][code])
                for code in self.body["visible_groups"]
                if question["groups"].get(code)
            ]
            if groups or question.get("self"):
                sections.append(
                    {
                        "question": self.label(question["text"]),
                        "role": question["role"],
                        "groups": groups,
                        "self": question.get("self") or [],
                    }
                )
        return sections

    def comments_for(self, role: str) -> list[dict[str, Any]]:
        return [s for s in self.comment_sections() if s["role"] == role]

    # -- norms ------------------------------------------------------------------------------------
    def norm_rows(self) -> list[dict[str, str]]:
        if not self.norms:
            return []
        tenant = self.norms.get("tenant") or {}
        cross = self.norms.get("cross_tenant") or {}
        rows = []
        for theme in self.body["themes"]:
            for statement in theme["statements"]:
                own = (statement.get("others") or {}).get("mean")
                t_item = (tenant.get("items") or {}).get(statement["id"])
                c_item = (cross.get("items") or {}).get(statement["id"])
                if not t_item and not c_item:
                    continue
                rows.append(
                    {
                        "text": self.label(statement["text"]),
                        "own": self.num(own),
                        "tenant": self.num(t_item["mean"]) if t_item else "–",
                        "tenant_pct": str(t_item["percentile"])
                        if t_item and t_item["percentile"] is not None
                        else "–",
                        "cross": self.num(c_item["mean"]) if c_item else "–",
                        "cross_pct": str(c_item["percentile"])
                        if c_item and c_item["percentile"] is not None
                        else "–",
                    }
                )
        return rows

    def norm_note(self) -> str:
        if not self.norms:
            return ""
        tenant = self.norms.get("tenant")
        if not tenant:
            return self.t("norms_none", n=self.norms.get("min_reports", 10))
        return self.t("norms_note", reports=tenant["reports"], at=str(tenant["at"])[:10])
