"""The README's metric and invented-parameter tables are generated from the code and current."""

from experiments.readme_tables import README, render


def test_readme_tables_match_the_code():
    text = README.read_text()
    assert render(text) == text, "run: python -m experiments.readme_tables --write"


def test_every_invented_parameter_appears_in_the_readme():
    from abm.scenario import parameter_table

    text = README.read_text()
    for row in parameter_table():
        if row["invented"]:
            assert f"`{row['path']}`" in text, row["path"]
