"""Airflow 2.11 (the newest Airflow 2 of the matrix): our connection type in the Flask webserver's connection form.

Airflow 2 builds the form from the hook's ``get_connection_form_widgets`` and ``get_ui_field_behaviour``; the expected
labels and defaults come from the ``conn-fields`` declaration, which tests/unit/hooks/test_connection_form.py keeps
equal to the widgets, and the placeholders, hidden fields and relabelling from ``get_ui_field_behaviour``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator

import pytest

from airflow_provider_composer_pod.get_provider_info import get_provider_info
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.testing import KubernetesEmulator
from tests.ui.conftest import USER_NAMESPACE, airflow2_server, record_seen
from tests.ui.servers import AirflowServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

CONN_ID = "composer_pod_ui"
PREFIX = "extra__composer_pod__"  # Airflow 2 names the extra fields' inputs extra__<conn type>__<field>
MISSING_KUBE_CONFIG = "/nonexistent/composer_kube_config"
TEST_ENDPOINT = "/api/v1/connections/test"


@pytest.fixture(scope="module")
def airflow2(ui_tmp: Path, artifacts: Path) -> Iterator[AirflowServer]:
    server = airflow2_server(ui_tmp, artifacts).start()
    yield server
    server.stop()


def _field(page: Page, element_id: str) -> Dict[str, Any]:
    control = page.locator(f"#{element_id}")
    field: Dict[str, Any] = {
        "label": page.locator(f"label[for='{element_id}']").inner_text().strip().rstrip(" *"),
        # The row Airflow's connection_form.js hides for hidden_fields: the input's parent's parent.
        "visible": control.locator("xpath=../..").is_visible(),
        "placeholder": control.get_attribute("placeholder"),
    }
    if control.get_attribute("type") == "checkbox":
        field["checked"] = control.is_checked()
    else:
        field["value"] = control.input_value()
    return field


def _screenshot(page: Page, path: Path) -> None:
    """The whole page from the top, where the Test button's answer appears (the navbar is sticky)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)


def _press_test(page: Page) -> Dict[str, Any]:
    """Press the form's Test button; the endpoint's answer and the alert the page shows for it."""
    from playwright.sync_api import expect

    alert = page.locator(".container .row .alert").first
    with page.expect_response(lambda response: response.url.endswith(TEST_ENDPOINT)) as answer:
        page.get_by_role("button", name="Test").click()
    response = answer.value
    body = response.json()
    expect(alert).to_have_text(body.get("message", ""))
    return {"http_status": response.status, "response": body, "alert": alert.inner_text().strip()}


def test_form_test_button_and_save(page: Page, airflow2: AirflowServer, emulator: KubernetesEmulator, artifacts):
    from playwright.sync_api import expect

    (declaration,) = get_provider_info()["connection-types"]
    behaviour = ComposerPodHook.get_ui_field_behaviour()

    # Admin -> Connections -> "+" (add), then the connection type, as a user clicks through.
    page.goto(airflow2.url + "/home")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Connections", exact=True).click()
    page.locator("a[href$='/connection/add']").first.click()
    page.fill("#conn_id", CONN_ID)
    page.select_option("#conn_type", label="Cloud Composer Pod")
    page.locator(f"#{PREFIX}kube_config_path").wait_for()
    _screenshot(page, artifacts / "airflow2-connection-form.png")

    declared = declaration["conn-fields"]
    extra = {name: _field(page, PREFIX + name) for name in declared}
    standard = {name: _field(page, name) for name in ("host", "schema", "login", "password", "port", "extra")}
    for name, spec in declared.items():
        field = extra[name]
        assert field["visible"], name
        assert field["label"] == spec["label"], name
        if "boolean" in spec["schema"]["type"]:
            assert field["checked"] is False, name
        else:
            assert field["value"] == spec["schema"].get("default", ""), name
            assert field["placeholder"] == behaviour["placeholders"].get(name, ""), name
    # Composer 3's environment fields (issue 15), with Composer's variables as placeholders.
    for name in ("project", "location", "environment", "composer_api_endpoint"):
        assert extra[name]["placeholder"] == behaviour["placeholders"][name], name
    for name in behaviour["hidden_fields"]:
        assert not standard[name]["visible"], name
    assert standard["extra"]["label"] == behaviour["relabeling"]["extra"]
    assert standard["extra"]["placeholder"] == behaviour["placeholders"]["extra"]

    page.fill(f"#{PREFIX}kube_config_path", emulator.kubeconfig_path)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Added Row").wait_for()
    expect(page.locator("table").get_by_role("cell", name=CONN_ID, exact=True)).to_be_visible()

    # The saved connection, opened again for editing: the Test button, then a broken kube config path.
    page.goto(airflow2.url + "/connection/list/")
    page.locator("tr", has_text=CONN_ID).locator("a[href*='/connection/edit/']").first.click()
    assert page.input_value(f"#{PREFIX}kube_config_path") == emulator.kubeconfig_path
    emulator.clear_requests()
    success = _press_test(page)
    _screenshot(page, artifacts / "airflow2-test-success.png")

    expected = f"OK: 1 pod visible in namespace {USER_NAMESPACE} on {emulator.url}."
    assert success["response"] == {"status": True, "message": expected}
    assert success["alert"] == expected
    listed = emulator.requests(method="GET", path=f"/api/v1/namespaces/{USER_NAMESPACE}/pods")
    assert [request.status for request in listed] == [200]

    page.fill(f"#{PREFIX}kube_config_path", MISSING_KUBE_CONFIG)
    emulator.clear_requests()
    failure = _press_test(page)
    _screenshot(page, artifacts / "airflow2-test-failure.png")

    expected = (
        f"Kube config file {MISSING_KUBE_CONFIG} does not exist. Set 'Kube config path' to a readable kube config "
        f"(on Cloud Composer: /home/airflow/composer_kube_config)."
    )
    assert failure["response"] == {"status": False, "message": expected}
    assert failure["alert"] == expected
    assert emulator.requests() == []
    record_seen(
        artifacts,
        "airflow2-connection-form",
        {"extra_fields": extra, "standard_fields": standard, "test_success": success, "test_failure": failure},
    )
