from pathlib import Path

import pytest
import yaml

from ingest.presets import PresetError, detect_preset, load_presets, parse_presets

SOURCE = Path("shop.yaml")


def test_every_shipped_preset_is_valid_and_named_once():
    names = [p.name for p in load_presets()]
    assert len(names) == len(set(names)) >= 11


def test_a_user_preset_needs_no_python_and_matches_korean_headers_with_aliases():
    [preset] = parse_presets(
        yaml.safe_load(
            """
            imweb_orders:
              description: imweb order export
              raw_table: imweb_orders
              required:
                order_no: [주문번호, 주문 번호]
                ordered_at: 주문일
              optional: [Memo]
            """
        ),
        "shop",
        SOURCE,
    )
    assert preset.match(["memo", "주문일", "주문  번호"]) == {
        0: preset.optional[0],
        1: preset.required[1],
        2: preset.required[0],
    }
    assert preset.missing_from(["주문일"]) == ["주문번호"]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"raw_table": "x", "required": ["A"]}, "imweb_orders: description"),
        ({"description": "d", "raw_table": "Bad Name", "required": ["A"]}, "raw_table"),
        ({"description": "d", "raw_table": "x", "required": ["A", "a"]}, "repeat: a"),
        (
            {"description": "d", "raw_table": "x", "required": ["A"], "phone_columns": ["tel"]},
            "phone_columns: not columns: tel",
        ),
    ],
)
def test_a_broken_preset_is_refused_naming_the_file_preset_and_key(spec, named):
    with pytest.raises(PresetError) as error:
        parse_presets({"imweb_orders": spec}, "shop", SOURCE)
    assert str(error.value).startswith("shop.yaml: imweb_orders")
    assert named in str(error.value)


def test_the_most_specific_fitting_layout_wins_and_reordering_does_not_matter():
    header = ["Event Type", "Occurred At", "Contact ID", "Channel", "Campaign ID", "Email"]
    assert detect_preset("crm", header).preset.name == "crm_campaign_events"
    assert detect_preset("crm", list(reversed(header))).preset.name == "crm_campaign_events"
