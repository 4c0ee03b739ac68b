"""Turn a schema-checked rule-set document into domain objects, checking what a schema cannot.

The schema (``schema.py``) checks shapes; this checks meaning: input names exist, criterion ids
are unique, classes run from highest to lowest, bands are not empty, a route clause points at a
lower class, a flag is compared only with true/false. Errors name the file and the key path.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from geo_app.domain import checklist as ck
from geo_app.domain import classification as cl
from geo_app.domain.conditions import Compare, comparisons, parse_condition
from geo_app.domain.ruleset import RuleSetInfo
from geo_app.rules.schema import CHECKLIST, CLASSIFICATION, RuleSetError, validate


class _Context:
    """The file being built, so every error can name it."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> RuleSetError:
        return RuleSetError(f"{self.source}: {path}: {problem}")


def _info(data: dict[str, Any], ctx: _Context) -> RuleSetInfo:
    basis = data["legal_basis"]
    until = data.get("in_force_until")
    info = RuleSetInfo(
        code=data["code"],
        title_vi=data["title"]["vi"],
        title_en=data["title"]["en"],
        document=basis["document"],
        issuer=basis["issuer"],
        document_date=date.fromisoformat(basis["date"]),
        seed=basis["seed"],
        section=basis["section"],
        in_force_from=date.fromisoformat(data["in_force_from"]),
        in_force_until=date.fromisoformat(until) if until else None,
    )
    if info.in_force_until is not None and info.in_force_until < info.in_force_from:
        raise ctx.fail("in_force_until", "is before in_force_from")
    return info


def _unique_ids(ids: list[tuple[str, str]], ctx: _Context) -> None:
    seen: set[str] = set()
    for path, criterion_id in ids:
        if criterion_id in seen:
            raise ctx.fail(path, f"duplicate criterion id {criterion_id!r}")
        seen.add(criterion_id)


# -- classification -------------------------------------------------------------------------------


def _number_input(name: str, path: str, ctx: _Context) -> str:
    if name not in cl.NUMBER_INPUTS:
        raise ctx.fail(path, f"{name!r} is not a numeric input ({', '.join(cl.NUMBER_INPUTS)})")
    return name


def _band(data: dict[str, Any], path: str, ctx: _Context) -> cl.Band:
    value = data["value"]
    if isinstance(value, str):
        subject: str | cl.Ratio = _number_input(value, f"{path}.value", ctx)
    else:
        subject = cl.Ratio(
            _number_input(value["ratio"], f"{path}.value.ratio", ctx),
            _number_input(value["per"], f"{path}.value.per", ctx),
            Fraction(value["scale"]),
        )
    if "at_least" in data and "above" in data or "below" in data and "at_most" in data:
        raise ctx.fail(
            path, "at most one lower bound (at_least|above) and one upper (below|at_most)"
        )
    lower_text = data.get("at_least", data.get("above"))
    upper_text = data.get("below", data.get("at_most"))
    if lower_text is None and upper_text is None:
        raise ctx.fail(path, "needs a bound: at_least, above, below or at_most")
    band = cl.Band(
        subject,
        lower=None if lower_text is None else Fraction(lower_text),
        lower_inclusive="above" not in data,
        upper=None if upper_text is None else Fraction(upper_text),
        upper_inclusive="at_most" in data,
    )
    both = band.lower is not None and band.upper is not None
    if both and not any(band.contains(x) for x in _probes(band)):
        raise ctx.fail(path, "the band is empty (lower bound above upper bound)")
    return band


def _probes(band: cl.Band) -> tuple[Fraction, ...]:
    """Points that lie in a two-sided band if it is not empty: its bounds and their midpoint."""
    assert band.lower is not None and band.upper is not None
    return (band.lower, (band.lower + band.upper) / 2, band.upper)


def _criterion(data: dict[str, Any], path: str, ctx: _Context) -> cl.Criterion:
    text = (data["id"], data["text_vi"], data["text_en"])
    if "any_of" in data:
        bands = tuple(_band(b, f"{path}.any_of[{i}]", ctx) for i, b in enumerate(data["any_of"]))
        return cl.Criterion(*text, bands=bands)
    if data["and_flag"] not in cl.FLAG_INPUTS:
        raise ctx.fail(f"{path}.and_flag", f"{data['and_flag']!r} is not a flag input")
    return cl.Criterion(*text, band_of=data["band_of"], and_flag=data["and_flag"])


def _class_rule(data: dict[str, Any], path: str, ctx: _Context) -> cl.ClassRule:
    criteria = tuple(
        _criterion(c, f"{path}.criteria[{i}]", ctx) for i, c in enumerate(data["criteria"])
    )
    if data["at_least"] > len(criteria):
        raise ctx.fail(f"{path}.at_least", f"exceeds the number of criteria ({len(criteria)})")
    title = data["title"]
    return cl.ClassRule(data["class"], title["vi"], title["en"], data["at_least"], criteria)


def _fallback(data: dict[str, Any]) -> cl.Fallback:
    criterion = cl.Criterion(data["id"], data["text_vi"], data["text_en"])
    return cl.Fallback(data["class"], data["title"]["vi"], data["title"]["en"], criterion)


def _check_order(codes: list[tuple[str, str]], ctx: _Context) -> None:
    for (_, higher), (path, lower) in zip(codes, codes[1:], strict=False):
        if cl.rank(lower) >= cl.rank(higher):
            raise ctx.fail(path, f"{lower!r} must rank below {higher!r} (highest class first)")


def _check_route_clauses(rules: cl.ClassificationRules, ctx: _Context) -> None:
    for i, rule in enumerate(rules.classes):
        for j, criterion in enumerate(rule.criteria):
            target = criterion.band_of
            if target is None:
                continue
            path = f"classes[{i}].criteria[{j}].band_of"
            listed = [r.class_ for r in rules.classes]
            if target not in listed or cl.rank(target) >= cl.rank(rule.class_):
                raise ctx.fail(path, f"{target!r} must be a lower class listed in this file")
            if not rules.band_criteria(target):
                raise ctx.fail(path, f"{target!r} has no band criterion")


def build_classification(data: Any, source: str) -> cl.ClassificationRules:
    validate(data, CLASSIFICATION, source)
    ctx = _Context(source)
    classes = tuple(_class_rule(c, f"classes[{i}]", ctx) for i, c in enumerate(data["classes"]))
    other = data["otherwise"]
    presence = tuple(
        _number_input(n, f"otherwise.presence[{i}]", ctx) for i, n in enumerate(other["presence"])
    )
    rules = cl.ClassificationRules(
        _info(data, ctx), classes, presence, _fallback(other["some"]), _fallback(other["none"])
    )
    codes = [(f"classes[{i}].class", c["class"]) for i, c in enumerate(data["classes"])]
    codes += [("otherwise.some.class", other["some"]["class"])]
    codes += [("otherwise.none.class", other["none"]["class"])]
    _check_order(codes, ctx)
    ids = [
        (f"classes[{i}].criteria[{j}].id", c["id"])
        for i, rule in enumerate(data["classes"])
        for j, c in enumerate(rule["criteria"])
    ]
    _unique_ids([*ids, *((f"otherwise.{k}.id", other[k]["id"]) for k in ("some", "none"))], ctx)
    _check_route_clauses(rules, ctx)
    return rules


# -- checklist ------------------------------------------------------------------------------------


def _check_comparison(compare: Compare, path: str, ctx: _Context) -> None:
    known = ck.COUNT_INPUTS | set(ck.FLAG_INPUTS)
    for name in compare.names():
        if name not in known:
            raise ctx.fail(path, f"unknown checklist input {name!r} (see docs/ENGINE.md)")
    left_is_flag = compare.left in ck.FLAG_INPUTS
    right = compare.right
    right_is_flag = isinstance(right, bool) or (isinstance(right, str) and right in ck.FLAG_INPUTS)
    if left_is_flag != right_is_flag:
        raise ctx.fail(path, f"{compare.left} {compare.op} {right!r} mixes a flag and a count")
    if left_is_flag and compare.op not in ("==", "!="):
        raise ctx.fail(path, f"a flag can only be compared with == or !=, not {compare.op}")


def _checklist_criterion(data: dict[str, Any], path: str, ctx: _Context) -> ck.ChecklistCriterion:
    condition = parse_condition(data["condition"])
    for compare in comparisons(condition):
        _check_comparison(compare, f"{path}.condition", ctx)
    reading = data.get("interpretation") or {}
    return ck.ChecklistCriterion(
        id=data["id"],
        text_vi=data["text_vi"],
        text_en=data["text_en"],
        seed=data["source"]["seed"],
        section=data["source"]["section"],
        condition=condition,
        interpretation_vi=reading.get("vi"),
        interpretation_en=reading.get("en"),
    )


def _not_checked(data: dict[str, Any]) -> ck.NotChecked:
    source, reason = data["source"], data["reason"]
    return ck.NotChecked(
        source["seed"], source["section"], data["text_vi"], reason["vi"], reason["en"]
    )


def build_checklist(data: Any, source: str) -> ck.ChecklistRules:
    validate(data, CHECKLIST, source)
    ctx = _Context(source)
    criteria = tuple(
        _checklist_criterion(c, f"criteria[{i}]", ctx) for i, c in enumerate(data["criteria"])
    )
    _unique_ids([(f"criteria[{i}].id", c.id) for i, c in enumerate(criteria)], ctx)
    not_checked = tuple(_not_checked(n) for n in data.get("not_checked", []))
    return ck.ChecklistRules(_info(data, ctx), criteria, not_checked)
