"""Sphinx configuration of the documentation site (``make docs``; pages in Markdown through MyST).

Sphinx, as the Airflow providers' own docs use, with autodoc reading our docstrings for the API reference; MyST so
the guide's pages stay plain Markdown (they began as the README's sections). Theme: furo, a maintained theme with a
built-in search page, light/dark modes and a navigation sidebar that works without JavaScript frameworks or CDN
assets, so the built site opens offline (the browser test reads it from disk).
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed
sys.path.insert(0, str(DOCS / "_ext"))

from airflow_provider_composer_pod import __version__  # noqa: E402

project = "airflow-provider-composer-pod"
author = "airflow-provider-composer-pod contributors"
copyright = "the airflow-provider-composer-pod contributors, Apache-2.0"
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "rules_tables",  # docs/_ext: the Autopilot rules tables from validation/rules/*.yaml
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "research", "_generated"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # GitHub-style anchors, so page.md#a-heading links work as they did in the README
suppress_warnings: list = []

autodoc_typehints = "none"  # the signatures carry many third-party types; the docstrings say what is expected
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Our docstrings refer to classes of Airflow, the cncf-kubernetes provider and the kubernetes clients, which this
# offline build has no inventory for (no intersphinx: no network at build time).
nitpick_ignore_regex = [
    ("py:.*", r"(airflow|kubernetes|kubernetes_asyncio|pytest|urllib3)\..*"),
    ("py:.*", r"(KubernetesPodOperator|KubernetesHook|AsyncKubernetesHook|KubernetesPodTrigger|BaseTrigger)"),
    # Internal modules and private base classes the reference leaves out on purpose.
    ("py:mod", r"airflow_provider_composer_pod\.workloads\.names"),
    ("py:class", r"airflow_provider_composer_pod\..*\._\w+"),
    ("py:class", r"airflow_provider_composer_pod\.testing\.harness\.(controls\.Controls|objects\.ObjectHelpers)"),
]

html_theme = "furo"
html_title = f"airflow-provider-composer-pod {version}"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # without one the browser asks for /favicon.ico and logs a 404
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False

# Only this site's own links are checked (`make docs` runs linkcheck offline); external URLs are out of reach here.
linkcheck_ignore = [r"https?://.*", r"mailto:.*"]
linkcheck_anchors = True
