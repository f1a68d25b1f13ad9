"""The generated gRPC code matches protos/ (regenerate with `python -m micelio.codegen`)."""

from micelio import codegen


def test_generated_code_is_fresh() -> None:
    stale = codegen.stale_files()
    assert stale == [], f"stale generated files {stale}: run `python -m micelio.codegen`"
