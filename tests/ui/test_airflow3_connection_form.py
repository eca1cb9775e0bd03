"""Airflow 3 (the default pair): our connection type in the React UI that ``airflow api-server`` serves.

A user opens Admin -> Connections -> Add Connection, picks "Cloud Composer Pod", fills the form, saves it and presses
the Test button in the connection list. Expected labels, defaults and help texts come from our ``conn-fields``
declaration (get_provider_info), which Airflow 3 renders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List

import pytest

from airflow_provider_composer_pod.get_provider_info import get_provider_info
from airflow_provider_composer_pod.testing import KubernetesEmulator
from tests.ui.airflow3_api_server import rejects_port_zero
from tests.ui.conftest import USER_NAMESPACE, airflow3_server, record_seen
from tests.ui.servers import AirflowServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

MISSING_KUBE_CONFIG = "/nonexistent/composer_kube_config"
TEST_ENDPOINT = "/api/v2/connections/test"


@pytest.fixture(scope="module")
def released_airflow3(ui_tmp: Path, artifacts: Path) -> Iterator[AirflowServer]:
    """The api-server exactly as released."""
    server = airflow3_server("airflow3", ui_tmp, artifacts, patched=False).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def airflow3_with_test_fix(ui_tmp: Path, artifacts: Path) -> Iterator[AirflowServer]:
    """The api-server with apache/airflow#73298 applied if this Airflow lacks it (see airflow3_api_server.py)."""
    server = airflow3_server("airflow3-test-fix", ui_tmp, artifacts, patched=True).start()
    yield server
    server.stop()


def _declaration() -> Dict[str, Any]:
    (connection_type,) = get_provider_info()["connection-types"]
    return connection_type


def _open_add_form(page: Page, server: AirflowServer) -> Locator:
    """Admin -> Connections -> Add Connection, then the connection type, as a user clicks through."""
    page.goto(server.url + "/")
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("menuitem", name="Connections").click()
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill("Cloud Composer Pod")
    page.get_by_role("option", name="Cloud Composer Pod", exact=True).click()
    return dialog


def _fields(region: Locator) -> List[Dict[str, Any]]:
    """Every field row of a form section: label, input name, value or switch state, placeholder, help text."""
    from playwright.sync_api import expect

    rows = region.locator("[data-scope=field][data-part=root]")
    expect(rows.first).to_be_visible()
    seen = []
    for row in rows.all():
        label = re.sub(r"\s*\*$", "", row.locator("[data-part=label]").first.inner_text().strip())
        field: Dict[str, Any] = {"label": label, "visible": row.is_visible()}
        control = row.locator("input, textarea").first
        if control.count():
            field["name"] = control.get_attribute("name")
            if control.get_attribute("type") == "checkbox":
                field["checked"] = control.is_checked()
            else:
                field["value"] = control.input_value()
                field["placeholder"] = control.get_attribute("placeholder")
        helper = row.locator("[data-part=helper-text]")
        field["help"] = helper.first.inner_text().strip() if helper.count() else None
        seen.append(field)
    return seen


def _fill_extra(dialog: Locator, name: str, value: str) -> None:
    dialog.locator(f"input[name=element_{name}]").fill(value)


def _open_section(dialog: Locator, title: str) -> Locator:
    trigger = dialog.get_by_role("button", name=title, exact=True)
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    # The section's id has a space in it ("...:content:Extra Fields"), so its aria-labelledby names nothing.
    return dialog.locator(f'[id="{trigger.get_attribute("aria-controls")}"]')


def _save(dialog: Locator) -> None:
    from playwright.sync_api import expect

    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()


def _add_connection(page: Page, server: AirflowServer, conn_id: str, kube_config_path: str) -> None:
    dialog = _open_add_form(page, server)
    dialog.get_by_label("Connection ID").fill(conn_id)
    _open_section(dialog, "Extra Fields")
    _fill_extra(dialog, "kube_config_path", kube_config_path)
    _save(dialog)


def _row(page: Page, conn_id: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=conn_id, exact=True))


def _press_test(page: Page, conn_id: str) -> Dict[str, Any]:
    """Press the row's Test button; the endpoint's answer and the toast the UI shows for it."""
    from playwright.sync_api import expect

    page.reload()  # drops the toasts of earlier steps, so the one for this press is the only one
    with page.expect_response(lambda response: response.url.endswith(TEST_ENDPOINT)) as answer:
        _row(page, conn_id).get_by_role("button", name="Test Connection").click()
    toasts = page.locator("[data-scope=toast][data-part=root]")
    toast = toasts.filter(has=page.locator("[data-part=title]", has_text=re.compile("^Test Connection"))).first
    expect(toast).to_be_visible()
    expect(toast).to_have_css("opacity", "1")  # done fading in, for the screenshot
    response = answer.value
    return {
        "http_status": response.status,
        "response": response.json(),
        "toast_title": toast.locator("[data-part=title]").inner_text().strip(),
        "toast_description": toast.locator("[data-part=description]").inner_text().strip(),
    }


def _edit_kube_config_path(page: Page, conn_id: str, path: str) -> None:
    _row(page, conn_id).get_by_role("button", name="Edit Connection").click()
    dialog = page.get_by_role("dialog")
    _open_section(dialog, "Extra Fields")
    _fill_extra(dialog, "kube_config_path", path)
    _save(dialog)


def test_form_shows_our_fields_and_saves_them(page: Page, released_airflow3, emulator, artifacts):
    declaration = _declaration()
    page.set_viewport_size({"width": 1280, "height": 1700})  # the whole dialog in one screenshot
    dialog = _open_add_form(page, released_airflow3)
    dialog.get_by_label("Connection ID").fill("composer_pod_form")
    standard = _fields(_open_section(dialog, "Standard Fields"))
    extra = _fields(_open_section(dialog, "Extra Fields"))
    dialog.screenshot(path=str(artifacts / "airflow3-connection-form.png"))

    # Host, schema, login, password and port are hidden: only Airflow's own Description is left.
    assert [field["label"] for field in standard] == ["Description"]
    declared = declaration["conn-fields"]
    assert [field["name"] for field in extra] == [f"element_{name}" for name in declared]
    for field, (name, spec) in zip(extra, declared.items()):
        assert field["visible"], name
        assert field["label"] == spec["label"], name
        assert field["help"] == spec.get("description"), name
        if "boolean" in spec["schema"]["type"]:
            assert field["checked"] is False, name
        else:
            assert field["value"] == spec["schema"].get("default", ""), name
    # Airflow 3 draws no placeholders for extra fields; the hints that say more than the default are help texts.
    placeholders = declaration["ui-field-behaviour"]["placeholders"]
    help_texts = {field["name"]: field["help"] for field in extra}
    assert help_texts["element_cluster_context"] == placeholders["cluster_context"]
    assert help_texts["element_composer_generation"] == placeholders["composer_generation"]
    # Composer 3's environment fields (issue 15): the Composer API's target, hinted with Composer's variables.
    for name in ("project", "location", "environment"):
        assert help_texts[f"element_{name}"] == placeholders[name], name
    assert help_texts["element_composer_api_endpoint"].startswith(placeholders["composer_api_endpoint"])

    from playwright.sync_api import expect

    _fill_extra(dialog, "kube_config_path", emulator.kubeconfig_path)
    _save(dialog)
    expect(_row(page, "composer_pod_form").get_by_role("cell", name="composer_pod", exact=True)).to_be_visible()
    _row(page, "composer_pod_form").get_by_role("button", name="Edit Connection").click()
    saved = _fields(_open_section(page.get_by_role("dialog"), "Extra Fields"))
    assert saved[0]["value"] == emulator.kubeconfig_path
    assert saved[1]["value"] == USER_NAMESPACE
    record_seen(artifacts, "airflow3-connection-form", {"standard_fields": standard, "extra_fields": extra})


def test_released_test_button_on_a_connection_without_port(
    page: Page, released_airflow3, emulator: KubernetesEmulator, artifacts
):
    """What users of this Airflow see when they press Test on our connection (apache/airflow#73298)."""
    _add_connection(page, released_airflow3, "composer_pod_released", emulator.kubeconfig_path)
    emulator.clear_requests()

    pressed = _press_test(page, "composer_pod_released")
    page.screenshot(path=str(artifacts / "airflow3-test-button-released.png"))
    record_seen(artifacts, "airflow3-test-button-released", pressed)

    if rejects_port_zero():
        assert pressed["http_status"] == 400
        assert pressed["response"]["detail"].startswith("The host or port to test differs from the stored connection")
        assert pressed["toast_title"] == "Test Connection Failed"
        assert emulator.requests() == []  # refused before our hook ran
    else:
        assert pressed["http_status"] == 200
        assert pressed["toast_title"] == "Test Connection Successful"


def test_test_button_reports_success_then_our_clear_error(
    page: Page, airflow3_with_test_fix, emulator: KubernetesEmulator, artifacts
):
    _add_connection(page, airflow3_with_test_fix, "composer_pod_test", emulator.kubeconfig_path)
    emulator.clear_requests()

    success = _press_test(page, "composer_pod_test")
    page.screenshot(path=str(artifacts / "airflow3-test-success.png"))

    expected = f"OK: 1 pod visible in namespace {USER_NAMESPACE} on {emulator.url}."
    assert success["response"] == {"status": True, "message": expected}
    assert success["toast_title"] == "Test Connection Successful"
    assert success["toast_description"] == expected
    listed = emulator.requests(method="GET", path=f"/api/v1/namespaces/{USER_NAMESPACE}/pods")
    assert [request.status for request in listed] == [200]

    _edit_kube_config_path(page, "composer_pod_test", MISSING_KUBE_CONFIG)
    emulator.clear_requests()
    failure = _press_test(page, "composer_pod_test")
    page.screenshot(path=str(artifacts / "airflow3-test-failure.png"))

    expected = (
        f"Kube config file {MISSING_KUBE_CONFIG} does not exist. Set 'Kube config path' to a readable kube config "
        f"(on Cloud Composer: /home/airflow/composer_kube_config)."
    )
    assert failure["response"] == {"status": False, "message": expected}
    assert failure["toast_title"] == "Test Connection Failed"
    assert failure["toast_description"] == expected
    assert emulator.requests() == []
    record_seen(artifacts, "airflow3-test-button", {"success": success, "failure": failure})
