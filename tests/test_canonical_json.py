"""canonical_json writes the snapshot files (committed to git, hashed as records_sha256): its text must
stay json.dumps(sort_keys=True, ensure_ascii=False, indent=2, default=str) byte for byte, whichever
encoder writes it."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import _orjson_canonical, canonical_json

STORED = Path(__file__).parent / "fixtures" / "stored-pairs"


def reference(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2, default=str) + "\n"


def test_stored_record_files_are_written_byte_identically_and_fast() -> None:
    files = sorted(STORED.glob("*/*.json"))
    assert files
    for path in files:
        value = json.loads(path.read_text("utf-8"))
        assert canonical_json(value) == reference(value)
        assert _orjson_canonical(value) is not None, f"{path.name}: the fast encoder was not used"


class Colour(enum.Enum):
    RED = "red"


class Kind(enum.StrEnum):
    PDF = "pdf"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int


ODD_VALUES: list[Any] = [
    1e-05,
    1e16,
    1e22,
    -0.0,
    5e-324,
    float("nan"),
    float("inf"),
    -math.inf,
    2**64,
    -(2**70),
    {"z": 1, "a": {"é": [], "É": {}, "日本": [[], {}]}},
    '制御\x00\x1f\x7f\u2028\u2029\ufeff"\\\b\f\n\r\t',
    {1: "int key", 2: "sorted"},
    {"when": datetime(2026, 4, 1, 9, 30, tzinfo=UTC), "day": date(2026, 4, 1), "at": time(17)},
    {"naive": datetime(2026, 4, 1, 9, 30)},
    [Colour.RED, Kind.PDF, Level.HIGH],
    Point(3),
    (1, "tuple"),
    {"nested": [{"b": None, "a": True}, False]},
    [],
    {},
    "",
]


def test_values_where_the_encoders_could_differ_give_json_dumps_text() -> None:
    for value in ODD_VALUES:
        assert canonical_json(value) == reference(value), repr(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_any_json_value_gives_json_dumps_text(value: Any) -> None:
    assert canonical_json(value) == reference(value)  # lone surrogates included (orjson refuses them)
