"""notebooks/analytics.ipynb runs top to bottom in a real Jupyter kernel and plots FRT by agent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "analytics.ipynb"
VEGA_LITE = ("application/vnd.vegalite.v6+json", "application/vnd.vegalite.v5+json")
# Altair's default renderer: an HTML page that hands the spec to vega-embed.
EMBEDDED = re.compile(r"\}\)\((\{.*\}), \{\"mode\": \"vega-lite\"\}\);", re.DOTALL)


def chart_spec(output) -> dict | None:
    """The Vega-Lite spec of a chart output (Altair's mimetype or HTML renderer), else None."""
    if output.output_type not in ("execute_result", "display_data"):
        return None
    for mime in VEGA_LITE:
        if mime in output.data:
            spec = output.data[mime]
            return json.loads(spec) if isinstance(spec, str) else spec
    match = EMBEDDED.search(output.data.get("text/html", ""))
    return json.loads(match[1]) if match else None


@pytest.mark.timeout(600)
def test_the_analytics_notebook_plots_frt_by_agent(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "data"))  # the kernel inherits it: its cache goes here
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "fetched" in printed and "conversations and" in printed and "cycles; inputs" in printed

    table = next(o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data
                 and "median_frt_min" in o.data["text/html"])
    assert "Budi Santoso" in table.data["text/html"]

    spec = next(s for s in map(chart_spec, outputs) if s is not None)
    assert spec["title"] == "Median first response by agent, last 30 days"
    assert spec["mark"] == {"type": "bar"}
    assert spec["encoding"]["x"]["field"] == "median_frt_min" and spec["encoding"]["y"]["field"] == "agent"
    rows = next(iter(spec["datasets"].values()))
    assert {"Budi Santoso", "Andi Pratama"} <= {row["agent"] for row in rows}
    assert all(row["median_frt_min"] > 0 and row["first_replies"] > 0 for row in rows)
    assert list(tmp_path.glob("data/cache/*.sqlite"))  # synced into the cache, as the dashboard does
