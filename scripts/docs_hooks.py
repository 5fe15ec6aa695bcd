"""MkDocs hooks: the parts of the documentation that are generated, so they cannot drift.

- ``configuration.md``'s ``<!-- settings-table -->`` becomes the table of every setting, built from the
  ``Settings`` class (``rag_service/config_docs.py``);
- ``img/*.svg`` charts are drawn from the files holding the figures (``rag_service/evaluation/figures.py``)
  and added to the site as generated files, never written into ``docs/``.
"""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files

from rag_service.config_docs import markdown_table
from rag_service.evaluation.figures import all_figures

MARKER = "<!-- settings-table -->"


def on_files(files: Files, config: Any) -> Files:
    for name, svg in all_figures().items():
        files.append(File.generated(config, f"img/{name}", content=svg))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri == "configuration.md":
        if MARKER not in markdown:
            raise ValueError(f"configuration.md lost its {MARKER} line")
        markdown = markdown.replace(MARKER, markdown_table())
    return markdown
