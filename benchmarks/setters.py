"""The per-model setter-cost table: one assignment on a fresh instance, ours vs the original.

For every model class and every field kind (plain str/int/float/bool, enum, UUID, sub-model,
list, attribute dict, other dict) the value is generated from the field's declared swagger
type and enum (our ``Field`` declarations; the original's ``swagger_types`` are the same
strings), as a JSON spec that each worker turns into the same value in its own SDK: a
sub-model is an instance of that side's class, built once, and the same value object is
assigned to every instance of the sample.

One sample: ``pool`` fresh instances (built with the required constructor arguments only,
outside the timing), then ``for o in pool: o.<field> = value`` timed with the GC off; the
per-assignment time (loop overhead included, the same on both sides) is the best of
``rounds`` such pools. Pairs of samples alternate which side goes first.

Spec generation (:func:`field_specs`) runs in our worker only; :class:`SetterRunner` runs in
both; :func:`measure` and :func:`table` on the driver.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from common import quantiles

IDFA = "5b1f8a56-8c1e-4d2a-9c7b-2f0e6d4a1b3c"
#: Constructor arguments a model needs before a field can be set (both SDKs).
CTOR_ARGS: Dict[str, Dict[str, Any]] = {
    "AppEvent": {"event_name": "Home"},
    "CommerceEvent": {"product_action": {"$model": "ProductAction", "kw": {"action": "purchase"}}},
}
_NATIVE = {"str": "value", "int": 12345, "long": 12345, "float": 1.5, "bool": True,
           "date": "2024-01-01", "datetime": "2024-01-01T00:00:00Z"}
ATTRIBUTES = {"screen": "home", "source": "tab_bar", "position": 3}


def _is_uuid(field: Any) -> bool:
    return field.check is not None and "uuid" in getattr(field.check, "__qualname__", "")


def field_kind(field: Any) -> str:
    """The kind of one of our ``Field`` declarations (the table's grouping)."""
    kind = field.field_type.kind
    if field.enum is not None:
        return "enum"
    if _is_uuid(field):
        return "UUID"
    if kind in ("native", "date"):
        return "plain " + field.type
    if kind == "model":
        return "sub-model"
    if kind == "list":
        return "list"
    return "attribute dict" if field.name.endswith("attributes") else "dict"


def value_spec(field_type: Any, name: str = "") -> Any:
    """A JSON spec of a valid value of ``field_type`` (``{"$model": Name}`` for a model)."""
    kind = field_type.kind
    if kind in ("native", "date"):
        return _NATIVE[field_type.text]
    if kind == "model":
        return {"$model": field_type.text, "kw": CTOR_ARGS.get(field_type.text, {})}
    if kind == "list":
        if field_type.item.text == "EventBase":  # Batch.events: the events users assign
            return [{"$model": "AppEvent", "kw": {"event_name": "Home",
                                                  "custom_event_type": "navigation"}}]
        return [value_spec(field_type.item)]
    if kind == "map":
        return {"key": value_spec(field_type.item)}
    return dict(ATTRIBUTES) if name.endswith("attributes") else {"key": "value"}


def _field_value(field: Any) -> Any:
    if field.enum is not None:
        return field.enum[0]
    if _is_uuid(field):
        return IDFA
    return value_spec(field.field_type, field.name)


def field_specs(m: Any, every_field: bool) -> List[Dict[str, Any]]:
    """One spec per model and field kind (``every_field``: per field), from our declarations."""
    specs = []
    for name in m.models.__all__:
        cls = getattr(m.models, name)
        seen = set()
        for field in cls.fields:
            kind = field_kind(field)
            if kind in seen and not every_field:
                continue
            seen.add(kind)
            specs.append({"model": name, "field": field.name, "kind": kind, "type": field.type,
                          "value": _field_value(field), "ctor": CTOR_ARGS.get(name, {})})
    return specs


def materialize(m: Any, spec: Any) -> Any:
    """The value a JSON spec describes, built with this side's SDK ``m``."""
    if isinstance(spec, list):
        return [materialize(m, item) for item in spec]
    if isinstance(spec, dict):
        if "$model" in spec:
            kwargs = {k: materialize(m, v) for k, v in spec.get("kw", {}).items()}
            return getattr(m.models, spec["$model"])(**kwargs)
        return {k: materialize(m, v) for k, v in spec.items()}
    return spec


def _loop(field: str) -> Callable[[List[Any], Any], None]:
    namespace: Dict[str, Any] = {}
    exec(f"def run(pool, v):\n    for o in pool:\n        o.{field} = v\n", namespace)  # noqa: S102
    return namespace["run"]  # type: ignore[no-any-return]


class SetterRunner:
    """Worker side: prepared setter cases, by index."""

    def __init__(self, m: Any) -> None:
        self.m = m
        self.prepared: Dict[int, Tuple[Callable[[], Any], Callable[[List[Any], Any], None], Any]] = {}

    def prep(self, index: int, spec: Dict[str, Any]) -> Optional[str]:
        """Prepare case ``index``; a reason string when this side cannot run it, else None."""
        cls = getattr(self.m.models, spec["model"], None)  # the original exports some only there
        if cls is None:
            return "no such model"
        field = spec["field"]  # a property; ours: a property or a slot (listed in the class's swagger_types)
        if not isinstance(getattr(cls, field, None), property) and field not in vars(cls).get("swagger_types", {}):
            return "no such field"
        try:
            value = materialize(self.m, spec["value"])
            ctor = {k: materialize(self.m, v) for k, v in spec["ctor"].items()}
            obj = cls(**ctor)
            setattr(obj, spec["field"], value)
        except Exception as exc:  # the side refuses the generated value: reported, not timed
            return f"refused: {type(exc).__name__}"
        self.prepared[index] = (lambda: cls(**ctor), _loop(spec["field"]), value)
        return None

    def run(self, index: int, pool_size: int, rounds: int) -> float:
        """Best per-assignment seconds over ``rounds`` pools of ``pool_size`` fresh instances."""
        make, loop, value = self.prepared[index]
        best = float("inf")
        clock = time.perf_counter
        for _ in range(rounds):
            pool = [make() for _ in range(pool_size)]
            gc.disable()
            try:
                t0 = clock()
                loop(pool, value)
                elapsed = clock() - t0
            finally:
                gc.enable()
            best = min(best, elapsed / pool_size)
        return best


# -- driver side ------------------------------------------------------------------------------
def measure(ours: Any, orig: Any, specs: List[Dict[str, Any]], pairs: int, pool_size: int,
            rounds: int) -> List[Dict[str, Any]]:
    """Paired samples of every spec on both workers; one result row per spec."""
    rows = []
    for index, spec in enumerate(specs):
        row = dict(spec)
        row.pop("ctor")
        row["skip_ours"] = ours.call("setter_prep", index, spec)
        row["skip_orig"] = orig.call("setter_prep", index, spec)
        if not row["skip_ours"] and not row["skip_orig"]:
            _pair(row, ours, orig, index, pairs, pool_size, rounds)
        rows.append(row)
    return rows


def _pair(row: Dict[str, Any], ours: Any, orig: Any, index: int, pairs: int, pool_size: int,
          rounds: int) -> None:
    t_ours: List[float] = []
    t_orig: List[float] = []
    for i in range(pairs):
        order = ((ours, t_ours), (orig, t_orig))
        for worker, out in order if i % 2 == 0 else order[::-1]:
            out.append(worker.call("setter_run", index, pool_size, rounds))
    ratios = [r / o for o, r in zip(t_ours, t_orig)]
    row["ours_s"], row["orig_s"] = statistics.median(t_ours), statistics.median(t_orig)
    row["q1"], row["median"], row["q3"] = quantiles(ratios)
    row["ratios"] = ratios


def verdict(row: Dict[str, Any]) -> str:
    """``SLOWER`` (the whole IQR below 1x), ``slower?`` (median below 1x), ``ok``, or why not run."""
    if row["skip_ours"] or row["skip_orig"]:
        return "ours: " + row["skip_ours"] if row["skip_ours"] else "original: " + row["skip_orig"]
    if row["q3"] < 1.0:
        return "SLOWER"
    return "slower?" if row["median"] < 1.0 else "ok"


def table_rows(rows: List[Dict[str, Any]]) -> Tuple[Tuple[str, ...], List[Tuple[str, ...]]]:
    """The setter table's header and cells."""
    header = ("model", "field", "kind", "ours", "original", "speedup (median)", "IQR", "verdict")
    cells: List[Tuple[str, ...]] = []
    for row in rows:
        timed = "median" in row
        cells.append((
            row["model"], row["field"], row["kind"],
            f"{row['ours_s'] * 1e9:.0f} ns" if timed else "-",
            f"{row['orig_s'] * 1e9:.0f} ns" if timed else "-",
            f"{row['median']:.2f}x" if timed else "-",
            f"{row['q1']:.2f}-{row['q3']:.2f}" if timed else "-",
            verdict(row),
        ))
    return header, cells


def _names(rows: List[Dict[str, Any]], which: str) -> List[str]:
    return [f"{r['model']}.{r['field']}" for r in rows if verdict(r) == which]


def summary(rows: List[Dict[str, Any]]) -> List[str]:
    """Summary lines: setters timed, the spread, and those slower than the original's, by kind."""
    timed = [r for r in rows if "median" in r]
    if not timed:
        return ["setters: nothing timed"]
    medians = sorted(r["median"] for r in timed)
    slower = _names(timed, "SLOWER")
    by_kind: Dict[str, List[int]] = {}
    for r in timed:
        counts = by_kind.setdefault(r["kind"], [0, 0])
        counts[0] += verdict(r) == "SLOWER"
        counts[1] += 1
    kinds = ", ".join(f"{kind} {n}/{total}" for kind, (n, total) in sorted(by_kind.items()))
    return [
        f"setters: {len(timed)} timed of {len(rows)}; speedup {medians[0]:.2f}x-{medians[-1]:.2f}x, "
        f"median {statistics.median(medians):.2f}x",
        f"slower than the original's (IQR below 1x): {len(slower)} of {len(timed)}; by kind: {kinds}",
        f"  {', '.join(slower) or 'none'}",
        f"median below 1x but IQR reaching 1x: {', '.join(_names(timed, 'slower?')) or 'none'}",
    ]
