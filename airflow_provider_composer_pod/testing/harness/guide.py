"""The Composer guide's four example tasks on the emulator: the Secrets they expect, and a stand-in for perl:5.34.0.

``composer-pod emulator`` (unless ``--no-guide``) and ``composer-pod demo`` both prepare them.

The emulator pulls no images. The guide's ``ex-all-configs`` task runs ``perl -Mbignum=bpi -wle 'print bpi(2000)'``
in ``perl:5.34.0``; here it runs on the host's perl. Debian 12's perl 5.36 dies in Math::BigInt::Calc on bignum's
``bpi(2000)`` (the image's perl does not), so when that exact failure shows up the same 2,000 digits are computed with
``Math::BigFloat->bpi(2000)``, and the log says so.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Dict

from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario

NAMESPACE = "composer-user-workloads"
GUIDE_SECRETS: Dict[str, Dict[str, str]] = {
    "airflow-secrets": {"sql_alchemy_conn": "test_value"},
    "service-account": {"service-account.json": '{"type": "service_account", "project_id": "example"}'},
}
_BIGFLOAT_PI = ["perl", "-MMath::BigFloat", "-le", "print Math::BigFloat->bpi(2000)"]


def host_perl(ctx: Any) -> int:
    """Run the container's perl command line on the host's perl, with the pod's environment."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", **ctx.env}
    result = subprocess.run(ctx.argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    if result.returncode != 0 and "Math/BigInt/Calc.pm" in result.stderr and "-Mbignum=bpi" in ctx.argv:
        ctx.print(
            "(emulator: host perl's bignum bpi() is broken; computing the same digits with Math::BigFloat)",
            stream="stderr",
        )
        result = subprocess.run(_BIGFLOAT_PI, capture_output=True, text=True, env=env, timeout=300, check=False)
    ctx.write(result.stdout)
    if result.stderr:
        ctx.write(result.stderr, stream="stderr")
    return result.returncode


def prepare_guide_examples(emulator: Any, namespace: str = NAMESPACE) -> str:
    """Create the guide's Secrets and route ``perl`` images to the host's perl (where there is one); say what was
    prepared, in one line."""
    for name, data in GUIDE_SECRETS.items():
        emulator.create_secret(name, data, namespace)
    secrets = f"Secrets {', '.join(GUIDE_SECRETS)} in namespace {namespace}"
    if shutil.which("perl"):
        emulator.add_scenario(PodScenario(image="perl", entrypoint=host_perl))
        return f"the guide's examples: {secrets}; perl images run on the host's perl"
    return f"the guide's examples: {secrets}; no perl on this host, so the perl example (ex-all-configs) fails"
