"""The tour (python/examples/tour.ipynb) runs from top to bottom with nbclient, as a reader's
Jupyter would run it (it uses the GPU adapter for its last cell, ff.render)."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_the_tour_runs_and_draws_its_figures(gpu):
    notebook = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # the stored outputs must not count
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(EXAMPLES)}})
    try:
        client.execute()
    except CellExecutionError as e:
        pytest.fail(f"the tour failed: {e}")
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 6, f"{len(figures)} figures"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    # The probe's angle, as the viewer's seed picture shows it, and the K-FAC table's rows.
    assert "angle between -grad L and -F^-1 grad L: 61." in text, text
    assert text.count("\n    ") >= 3, text


def test_a_failing_cell_fails_the_tour_harness(tmp_path):
    # Negative control: the harness above reports a cell that raises.
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('broken tour')")])
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match="broken tour"):
        client.execute()
