"""Executed notebook -> the section's report files: `<out>/<name>.html` (figures embedded) and `<out>/<name>.md`
with its figures as files in `<out>/<name>/`, so that the Markdown image links resolve."""
from __future__ import annotations

from pathlib import Path


def convert(executed: Path, out_dir: Path) -> None:
    """Write `<out_dir>/<name>.html` (figures embedded) and `<out_dir>/<name>.md` with its figures as files in
    `<out_dir>/<name>/` so that the Markdown image links resolve."""
    import nbformat
    from nbconvert import HTMLExporter, MarkdownExporter
    from nbconvert.writers import FilesWriter

    name = executed.stem
    nb = nbformat.read(executed, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    (out_dir / f"{name}.html").write_text(body, encoding="utf-8")
    resources = {"output_files_dir": name, "unique_key": name}
    body, resources = MarkdownExporter().from_notebook_node(nb, resources=resources)
    FilesWriter(build_directory=str(out_dir)).write(body, resources, notebook_name=name)
