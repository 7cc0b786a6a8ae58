"""Form schemas (every field's error at once) and the validation of declared items."""

from __future__ import annotations

import dataclasses
import types

from core.catalogue import forms
from core.catalogue.registry import build_registry, validate_item
from core.hooks import FieldOption, FormField, When, hookimpl
from core.plugins.host import PluginHost
from core.settings import Settings
from tests.cases.demo_plugin import BDC, GJJ


def test_every_field_error_at_once():
    cleaned, errors = forms.validate(GJJ.form, {
        "applicant_name": "", "applicant_id_number": "430281199001011234", "phone": "12345",
        "amount": 1.5, "reason": "other", "bogus": 1,
    })
    by_field = {e.field: e.code for e in errors}
    assert by_field == {
        "bogus": "unknown", "applicant_name": "required", "applicant_id_number": "id_number",
        "phone": "phone", "amount": "type", "other_reason": "required",
    }
    assert all(e.message and e.message_en for e in errors)


def test_condition_hides_field_and_drops_its_value():
    data = {"applicant_name": "张三", "applicant_id_number": "11010519491231002X", "phone": "13800138000",
            "amount": 100, "reason": "buy", "other_reason": "not asked"}
    cleaned, errors = forms.validate(GJJ.form, data)
    assert errors == [] and "other_reason" not in cleaned


def test_types_and_bounds():
    fields = (
        FormField("n", "数", type="integer", min=1, max=3),
        FormField("d", "日期", type="date"),
        FormField("m", "多选", type="multiselect", options=(FieldOption("a", "甲"), FieldOption("b", "乙"))),
        FormField("b", "布尔", type="boolean"),
        FormField("c", "信用代码", type="credit_code"),
        FormField("t", "条件", when=When("b", "truthy"), required=True),
    )
    _, errors = forms.validate(fields, {"n": 4, "d": "2026-13-01", "m": ["a", "z"], "b": "yes", "c": "91350100M000100Y44"})
    assert {e.field: e.code for e in errors} == {"n": "max", "d": "date", "m": "option", "b": "type", "c": "credit_code", "t": "required"}
    cleaned, errors = forms.validate(fields, {"n": 2, "d": "2026-01-01", "m": ["a", "a"], "b": True, "t": "x"})
    assert errors == [] and cleaned["m"] == ["a"]
    assert forms.validate(fields, ["not", "an", "object"])[1][0].code == "type"


def test_schema_for_clients():
    schema = forms.form_schema(GJJ.form)
    other = next(f for f in schema if f["key"] == "other_reason")
    assert other["when"] == {"field": "reason", "op": "eq", "value": "other"}
    id_field = next(f for f in schema if f["key"] == "applicant_id_number")
    assert id_field["sensitive"] and id_field["prefill"] == "person.id_number"


def test_declared_items_are_valid_and_bad_ones_refused():
    assert validate_item(GJJ) == [] and validate_item(BDC) == []
    bad = dataclasses.replace(GJJ, implementation_code="X" * 19 + GJJ.basic_code, promised_limit_days=0, fee_fen=-1)
    problems = " ".join(validate_item(bad))
    assert "credit code" in problems and "promised_limit_days" in problems and "fee_fen" in problems
    penalty = dataclasses.replace(GJJ, item_type="02", basic_code="000212345000",
                                  implementation_code=GJJ.implementing_body + "3000212345000")
    assert any("not applied for" in p for p in validate_item(penalty))


def test_plugin_with_invalid_item_is_refused_by_name():
    host = PluginHost(Settings(plugin_timeout_seconds=0.2))
    module = types.ModuleType("sloppy_dept")
    module.ZHUSHIDA_CONTRACT = "1"

    @hookimpl
    def zhushida_services():
        return [GJJ, dataclasses.replace(BDC, name="")]

    module.zhushida_services = zhushida_services
    host.register_module("sloppy", module)
    reg = build_registry(host)
    assert reg.items == {}  # all or nothing per plugin
    assert host.records["sloppy"].state == "failed" and "name is required" in host.records["sloppy"].error


def test_conformance_rows_for_the_kit():
    from core.catalogue.conformance import service_checks
    from tests.cases.demo_plugin import BUY_HOUSE, INSTANT

    rows = service_checks([GJJ, BDC, INSTANT], BUY_HOUSE)
    assert rows and all(ok for ok, _check, _detail in rows), rows
    broken = service_checks([dataclasses.replace(GJJ, fee_fen=-5), "not an item"],
                            dataclasses.replace(BUY_HOUSE, items=("nope", "nada")))
    failed = [check for ok, check, _d in broken if not ok]
    assert len(failed) == 3 and any("bundle" in c for c in failed)


def test_bundles_declared_by_configuration(tmp_path, monkeypatch):
    import json

    import pytest

    from core.catalogue.config_bundles import BundleConfigError, parse_bundles
    from tests.cases import demo_plugin

    path = tmp_path / "bundles.json"
    path.write_text(json.dumps([{
        "code": "cfg.fund_and_house", "name": "我要办公积金贷款（配置）", "name_en": "Provident fund loan (configured)",
        "items": [demo_plugin.GJJ_CODE, demo_plugin.BDC_CODE], "keywords": ["贷款"],
        "extra_fields": [{"key": "loan_years", "label": "贷款年限", "type": "integer", "required": True}],
    }]), encoding="utf-8")
    monkeypatch.setenv("ZHUSHIDA_CATALOGUE_BUNDLES_FILE", str(path))
    host = PluginHost(Settings(plugin_timeout_seconds=0.2))
    host.register_module("core.catalogue", "core.catalogue.plugin")
    host.register_module("demo_dept", demo_plugin)
    reg = build_registry(host)
    bundle = reg.bundle("cfg.fund_and_house")
    assert bundle is not None and bundle.extra_fields[0].key == "loan_years"
    assert reg.owner["cfg.fund_and_house"] == "core.catalogue" and "demo.buy_house" in reg.bundles
    with pytest.raises(BundleConfigError, match="unknown keys"):
        parse_bundles([{"code": "x", "name": "x", "name_en": "x", "items": [], "colour": "red"}])
