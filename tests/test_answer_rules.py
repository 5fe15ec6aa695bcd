"""Answer rules on a document of another kind than the seeds: a Markdown report whose years stand in
its headings, through the real ingest, embedding and index."""

from pathlib import Path

import pytest

from rag_service.answer.answer_types import named_in, versions
from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline

REPORT = """# Annual report of the Hill Station observatory

The observatory was founded by the county to study variable stars and to teach astronomy.

## Spending in 2016

The observatory spent 2.1 million dollars, mostly on repairs to the dome and on staff.

## Spending in 2017

The observatory spent 3.4 million dollars, most of it on a new telescope mirror. Its catalogue software
was upgraded to release 4.2, which reads the new camera's images directly.

## Outlook

The board expects spending to fall once the mirror is installed. Public nights will resume in spring.
"""


def one_document_pipeline(tmp: Path, name: str, text: str, embedder: BaseEmbedder) -> Pipeline:
    """The real ingest and pipeline over one Markdown file. These tests are about the rules, not the
    learned gate: on one short document its probabilities sit near the threshold, so it is off here."""
    (tmp / "docs").mkdir()
    (tmp / "docs" / name).write_text(text, encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        seeds_dir=tmp / "docs", index_dir=tmp / "index", answerability_threshold=0.0
    )
    ingest_seeds(settings, embedder)
    return Pipeline.load(settings, embedder)


@pytest.fixture(scope="module")
def report_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return one_document_pipeline(tmp_path_factory.mktemp("report"), "report.md", REPORT, embedder)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        # the year is named only by the heading the sentence stands under
        ("How much did the observatory spend in 2017?", "3.4 million"),
        ("What does release 4.2 of the catalogue software read?", "camera's images"),
    ],
    ids=["year-in-heading", "release-named"],
)
def test_a_year_or_release_the_report_names_is_answered(
    report_pipeline: Pipeline, question: str, said: str
) -> None:
    answer = report_pipeline.ask(question)
    assert not answer.not_found, answer.notes
    assert said in answer.text


@pytest.mark.parametrize(
    ("question", "note"),
    [
        ("How much did the observatory spend in 2019?", "never mention 2019"),  # a year never named
        ("What does release 5.0 of the catalogue software read?", "never mention 5.0"),  # nor a release
        # readers asked of a report that has no comments and never speaks of readers
        ("What do the readers think about the new telescope mirror?", "no reader comments"),
    ],
    ids=["year", "release", "readers"],
)
def test_declined_with_a_note_that_says_why(report_pipeline: Pipeline, question: str, note: str) -> None:
    answer = report_pipeline.ask(question)
    assert answer.not_found and answer.citations == ()
    assert any(note in n for n in answer.notes), answer.notes


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("When was PyYAML 7.0 released?", {"7.0"}),
        ("Does v3.10 or 1.5.1 support it?", {"3.10", "1.5.1"}),
        ("It costs 3.4 million; see section 2.", {"3.4"}),
        ("Version 10 is out, and 2017 was a good year.", set()),
    ],
)
def test_dotted_numbers_a_question_names(text: str, found: set[str]) -> None:
    assert versions(text) == found


def test_a_more_precise_release_names_the_asked_one() -> None:
    assert named_in("3.10", {"3.10.2"}) and named_in("3.10", {"3.10"})
    assert not named_in("3.1", {"3.10"}) and not named_in("7.0", {"7.01"})


def test_how_the_report_ends(report_pipeline: Pipeline) -> None:
    answer = report_pipeline.ask("How does the report end?")
    assert answer.citations[-1].quote == "Public nights will resume in spring.", answer.text
    assert any("end of" in note for note in answer.notes)


HOWTO = """# Updating the star catalogue

The catalogue is refreshed every night from the survey archive, so most users never update it.

To update the catalogue by hand, run the following command:

```
$ starcat update --all
```

To remove the catalogue and its cache, run the following command:

```
$ starcat purge
```

## Catalogue sizes

| Survey | Stars | Size on disk |
|---|---|---|
| Hill North | 120,000 | 2.1 GB |
| Hill South | 95,000 | 1.7 GB |

## Troubleshooting

An update that stops halfway leaves the old catalogue in place. Run it again once the archive answers.
"""


@pytest.fixture(scope="module")
def howto_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return one_document_pipeline(tmp_path_factory.mktemp("howto"), "howto.md", HOWTO, embedder)


def test_a_line_introducing_a_command_brings_the_command(howto_pipeline: Pipeline) -> None:
    answer = howto_pipeline.ask("How do I update the catalogue by hand?")
    assert "$ starcat update --all" in answer.text, answer.text
    assert "starcat purge" not in answer.text  # the next introduction is not an item of this one
    quoted = next(c for c in answer.citations if "starcat update" in c.quote)
    assert quoted.quote.startswith("To update the catalogue by hand")  # one citation spans both


def test_comments_of_a_program_are_not_reader_comments(howto_pipeline: Pipeline) -> None:
    answer = howto_pipeline.ask("What comments does an update that stops halfway leave?")
    assert not answer.not_found and "old catalogue in place" in answer.text, answer.notes


def test_a_table_row_is_quoted_after_its_header_row(howto_pipeline: Pipeline) -> None:
    answer = howto_pipeline.ask("How many stars are in the Hill South survey?")
    quotes = [c.quote for c in answer.citations]
    assert "| Hill South | 95,000 | 1.7 GB |" in quotes, answer.text
    row = quotes.index("| Hill South | 95,000 | 1.7 GB |")
    assert row > 0 and quotes[row - 1] == "| Survey | Stars | Size on disk |"  # what the numbers mean
    assert quotes.count("| Survey | Stars | Size on disk |") == 1
