"""kg: an offline knowledge-graph builder for news text.

Library use::

    import kg
    result = kg.build_graph(["data/"], kg.Settings(n_process=2))
    graph = result.graph          # networkx.MultiDiGraph, one node per actor
    kg.write_outputs(result, "out/")

Heavy dependencies (spaCy, pyvis) load on first use, not on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Article", "BuildResult", "KGError", "Settings", "__version__", "build", "build_graph", "write_outputs"]

if TYPE_CHECKING:
    from kg.errors import KGError
    from kg.pipeline import BuildResult, Settings, build, build_graph, write_outputs
    from kg.records import Article


def __getattr__(name: str) -> Any:
    # Lazy so that `import kg` (and `kg --help`) does not pay for networkx and rdflib.
    if name in ("BuildResult", "Settings", "build", "build_graph", "write_outputs"):
        from kg import pipeline

        return getattr(pipeline, name)
    if name == "Article":
        from kg.records import Article

        return Article
    if name == "KGError":
        from kg.errors import KGError

        return KGError
    raise AttributeError(f"module 'kg' has no attribute '{name}'")
