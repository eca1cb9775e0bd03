"""The connection form is declared twice (Airflow 2's widgets, Airflow 3's conn-fields); these tests keep them equal."""

from __future__ import annotations

import pytest

from airflow_provider_composer_pod.get_provider_info import get_provider_info
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook


def _airflow3_declaration() -> dict:
    (connection_type,) = get_provider_info()["connection-types"]
    return connection_type


def test_connection_type_is_registered_for_our_hook():
    declaration = _airflow3_declaration()

    assert declaration["connection-type"] == ComposerPodHook.conn_type == "composer_pod"
    assert declaration["hook-name"] == ComposerPodHook.hook_name == "Cloud Composer Pod"
    assert declaration["hook-class-name"].endswith(".ComposerPodHook")
    assert ComposerPodHook.default_conn_name == "composer_pod_default"


def test_field_behaviour_matches():
    declaration = _airflow3_declaration()["ui-field-behaviour"]
    behaviour = ComposerPodHook.get_ui_field_behaviour()

    assert behaviour["hidden_fields"] == declaration["hidden-fields"]
    assert behaviour["relabeling"] == declaration["relabeling"]
    assert behaviour["placeholders"] == declaration["placeholders"]


def test_form_fields_match():
    pytest.importorskip("flask_appbuilder", reason="Airflow 2's form widgets need Flask-AppBuilder")
    from wtforms import BooleanField, Form, StringField

    fields = _airflow3_declaration()["conn-fields"]
    widgets = ComposerPodHook.get_connection_form_widgets()
    form = type("ConnectionForm", (Form,), dict(widgets))()

    assert list(widgets) == list(fields)
    for name, declared in fields.items():
        bound = form[name]
        expected_class = BooleanField if "boolean" in declared["schema"]["type"] else StringField
        assert isinstance(bound, expected_class), name
        assert str(bound.label.text) == declared["label"], name
        assert bound.default == declared["schema"].get("default"), name


def test_airflow_sees_the_same_form():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    manager.initialize_providers_hooks()

    assert manager.hooks["composer_pod"].hook_class_name.endswith("ComposerPodHook")
    assert (
        manager.field_behaviours["composer_pod"]["hidden_fields"]
        == ComposerPodHook.get_ui_field_behaviour()["hidden_fields"]
    )
